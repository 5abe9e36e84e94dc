import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { cosineSimilarity } from '../../src/domain/vector.js';
import { ClassicExtractor } from '../../src/features/classic/default.extractor.js';
import type { FeatureExtractor } from '../../src/features/feature-extractor.js';
import { decodeImage, type RgbImage } from '../../src/imaging/index.js';
import { openShoplens, type Shoplens } from '../../src/main.js';
import { productSvg } from '../catalogs/make-catalog.js';
import { tempDir } from './shoplens.factory.js';

/** The default extractor, recording the size of every image it is given. */
class RecordingExtractor implements FeatureExtractor {
  private readonly inner = new ClassicExtractor();
  readonly identity = this.inner.identity;
  readonly queryDecodeSide = this.inner.queryDecodeSide;
  readonly seen: [number, number][] = [];
  extract(image: RgbImage): Promise<Float32Array> {
    this.seen.push([image.width, image.height]);
    return this.inner.extract(image);
  }
}

const photo = (seed: number, width: number, height: number): Promise<Buffer> =>
  sharp(Buffer.from(productSvg(seed, seed, 256).svg)).resize(width, height, { fit: 'fill' }).flatten({ background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer();

describe('search decodes a query only as large as the extractor needs', () => {
  let dir: string;
  let shoplens: Shoplens;
  const extractor = new RecordingExtractor();
  const images: Record<string, Buffer> = {};

  beforeAll(async () => {
    dir = await tempDir();
    await mkdir(path.join(dir, 'cat'), { recursive: true });
    const rows = ['id,title,image'];
    // Large photos (shrunk on load for queries) and small ones (decoded like the catalog's).
    const sizes: [string, number, number][] = [['big1', 1200, 900], ['big2', 1000, 1000], ['big3', 700, 600], ['small1', 400, 300], ['small2', 300, 300]];
    for (const [i, [id, w, h]] of sizes.entries()) {
      images[id] = await photo(11 + i, w, h);
      await writeFile(path.join(dir, 'cat', `${id}.jpg`), images[id]);
      rows.push(`${id},Product ${id},${id}.jpg`);
    }
    await writeFile(path.join(dir, 'cat', 'catalog.csv'), `${rows.join('\n')}\n`);
    shoplens = await openShoplens(loadConfig({ dataDir: path.join(dir, 'data') }, {}), { extractor });
    const report = await shoplens.ingest.ingest(path.join(dir, 'cat', 'catalog.csv'));
    expect(report.created).toBe(sizes.length);
  });

  afterAll(async () => {
    await shoplens.close();
    await rm(dir, { recursive: true, force: true });
  });

  const storedVector = async (id: string): Promise<Float32Array> => (await shoplens.store.getProductVectors(id))[0]!.vector;

  it('ingest analyses at 512 px; a large query is analysed at the extractor\'s queryDecodeSide (256) and still finds itself', async () => {
    expect(extractor.queryDecodeSide).toBe(256);
    for (const id of ['big1', 'big2', 'big3']) {
      extractor.seen.length = 0;
      const r = await shoplens.search.searchByImage(images[id]!, { k: 3 });
      const [w, h] = extractor.seen[0]!;
      expect(Math.max(w, h)).toBe(256);
      expect(r.hits[0]?.product.id).toBe(id);
      expect(r.hits[0]!.score).toBeGreaterThan(0.995);
    }
    const stored = await shoplens.store.getImages([(await shoplens.store.getProductVectors('big1'))[0]!.key]);
    expect([...stored.values()][0]).toMatchObject({ width: 1200, height: 900 });
  });

  it('a query vector at 256 px is within cosine 0.998 of the catalog\'s 512 px vector of the same picture', async () => {
    // ≥ 0.999 on photos (bench/ingest measurements); these drawn patterns with hard edges are the harder case.
    for (const id of ['big1', 'big2', 'big3']) {
      const query = await extractor.extract(await decodeImage(images[id]!, undefined, { maxSide: 512, largeImageSide: 256 }));
      const cosine = cosineSimilarity(query, await storedVector(id));
      expect(cosine, id).toBeGreaterThanOrEqual(0.998);
      expect(cosine, id).toBeLessThan(1); // really a different decode
      const r = await shoplens.search.searchByImage(images[id]!, { k: 1 });
      expect(r.hits[0]!.score).toBeCloseTo(cosine, 5);
    }
  });

  it('an image no larger than 512 px is decoded exactly as ingest decoded it: the same vector', async () => {
    for (const id of ['small1', 'small2']) {
      extractor.seen.length = 0;
      const r = await shoplens.search.searchByImage(images[id]!, { k: 1 });
      expect(extractor.seen[0]).toEqual(id === 'small1' ? [400, 300] : [300, 300]);
      expect(r.hits[0]?.product.id).toBe(id);
      expect(r.hits[0]!.score).toBeCloseTo(1, 6);
    }
  });

  it('a crop is cut from the 512 px decode, so the selection keeps its pixels', async () => {
    extractor.seen.length = 0;
    await shoplens.search.searchByImage(images.big1!, { k: 1, crop: { x: 0.25, y: 0.25, width: 0.5, height: 0.5 } });
    expect(extractor.seen[0]).toEqual([256, 192]);
  });
});
