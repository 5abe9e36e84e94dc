import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createDefaultExtractor } from '../../src/features/classic/default.extractor.js';
import { embedImage } from '../../src/features/image-embedder.js';
import { DEFAULT_IMAGE_LIMITS } from '../../src/imaging/index.js';
import { makeCatalog } from '../catalogs/make-catalog.js';
import { freshShoplens } from './shoplens.factory.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('ingest stores what the extractor and the display settings make of each image', () => {
  it('vectors are the extractor\'s own on the 512 px decode; display copies hold exactly those pixels, JPEG-coded at quality 82', async () => {
    const { dir, shoplens, cleanup } = await freshShoplens({ ingestBatchSize: 3 });
    cleanups.push(cleanup);
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 7, broken: 0, seed: 21, imageSize: 640 });
    const report = await shoplens.ingest.ingest(cat.catalogPath);
    expect(report.created).toBe(7);

    const extractor = createDefaultExtractor();
    for (const line of (await readFile(cat.catalogPath, 'utf8')).trimEnd().split('\n').slice(1)) {
      const cells = line.split(',');
      const bytes = await readFile(path.join(path.dirname(cat.catalogPath), cells[6]!.split('|')[0]!));
      const expected = await embedImage(bytes, extractor, DEFAULT_IMAGE_LIMITS);
      const stored = (await shoplens.store.getProductVectors(cells[0]!))[0]!.vector;
      expect(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).equals(Buffer.from(expected.vector.buffer))).toBe(true);

      const sha = createHash('sha256').update(bytes).digest('hex');
      const media = await readFile(shoplens.media.pathFor(sha));
      const { image } = expected;
      const reference = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
        .jpeg({ quality: 82, chromaSubsampling: '4:2:0' })
        .toBuffer();
      const [a, b] = await Promise.all([media, reference].map((j) => sharp(j).raw().toBuffer({ resolveWithObject: true })));
      expect([a!.info.width, a!.info.height]).toEqual([image.width, image.height]);
      expect(a!.data.equals(b!.data)).toBe(true);
    }
  });
});

describe('ingest analyses the next batch while the previous one is committed', () => {
  it('over many small batches: every product is stored and indexed, and a picture repeated in later batches is analysed once', async () => {
    const { dir, shoplens, cleanup } = await freshShoplens({ ingestBatchSize: 2, ingestConcurrency: 2 });
    cleanups.push(cleanup);
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 9, broken: 0, seed: 5 });
    const lines = (await readFile(cat.catalogPath, 'utf8')).trimEnd().split('\n');
    // Three more products reusing the pictures of rows 2, 3 and 4, further down the catalog
    // (their batches are analysed while the originals' batches may still be committing).
    const copies = lines.slice(1, 4).map((l, i) => l.replace(/^[^,]*,[^,]*,/, `copy-${i},Copy ${i},`));
    await writeFile(cat.catalogPath, `${[...lines, ...copies].join('\n')}\n`);

    // Rows may list several images; count the distinct pictures by content.
    const files = [...lines.slice(1), ...copies].flatMap((l) => l.split(',')[6]!.split('|'));
    const distinct = new Set(await Promise.all(files.map(async (f) =>
      createHash('sha256').update(await readFile(path.join(path.dirname(cat.catalogPath), f))).digest('hex'))));
    expect(distinct.size).toBeLessThan(files.length);

    const report = await shoplens.ingest.ingest(cat.catalogPath);
    expect(report.failed).toEqual([]);
    expect(report.created).toBe(12);
    expect(report.imagesAnalysed).toBe(distinct.size);
    expect(report.imagesReused).toBe(files.length - distinct.size);
    const stats = await shoplens.store.stats();
    expect(stats.products).toBe(12);
    expect(shoplens.indexSync.index.size()).toBe(stats.images);
    for (let i = 0; i < 3; i++) {
      const original = (await shoplens.store.getProductVectors(lines[1 + i]!.split(',')[0]!))[0]!.vector;
      const copy = (await shoplens.store.getProductVectors(`copy-${i}`))[0]!.vector;
      expect(Array.from(copy)).toEqual(Array.from(original));
    }
    // Index and store agree after the pipelined commits: each product finds itself.
    const bytes = await readFile(path.join(path.dirname(cat.catalogPath), lines[9]!.split(',')[6]!.split('|')[0]!));
    const r = await shoplens.search.searchByImage(bytes, { k: 1 });
    expect(r.hits[0]?.product.id).toBe(lines[9]!.split(',')[0]);

    const again = await shoplens.ingest.ingest(cat.catalogPath);
    expect(again.noChanges).toBe(true);
    expect(again.unchanged).toBe(12);
  });

  it('a failing image in one batch fails only its row; the batches around it are stored', async () => {
    const { dir, shoplens, cleanup } = await freshShoplens({ ingestBatchSize: 2 });
    cleanups.push(cleanup);
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 7, broken: 0, seed: 9 });
    const lines = (await readFile(cat.catalogPath, 'utf8')).trimEnd().split('\n');
    await writeFile(path.join(path.dirname(cat.catalogPath), lines[4]!.split(',')[6]!.split('|')[0]!), 'not an image');
    const report = await shoplens.ingest.ingest(cat.catalogPath);
    expect(report.failed.map((f) => [f.row, f.code])).toEqual([[5, 'UNSUPPORTED_IMAGE_TYPE']]);
    expect(report.created).toBe(6);
    expect(shoplens.indexSync.index.size()).toBe((await shoplens.store.stats()).images);
  });
});
