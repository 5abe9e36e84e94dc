import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { AppError } from '../../src/domain/errors.js';
import { cosineSimilarity } from '../../src/domain/vector.js';
import { encodePng } from '../../src/imaging/index.js';
import { openShoplens } from '../../src/main.js';
import { installTinyClip } from '../fixtures/onnx/tiny-models.js';
import { freshShoplens, ingestPictures, tempDir } from './shoplens.factory.js';

/**
 * Hybrid scoring end to end: SHOPLENS_EXTRACTOR="onnx:tiny-clip*2+default" (a tiny ONNX image +
 * text model built by the tests, and the classic default in its worker threads). Ingest, search by
 * image and by text, and the configuration errors.
 */
// red-plain has exactly the mean colour of red-striped (half its width is at 0.35×): the tiny model
// (1×1 convolution, global average pool: linear in the mean colour) cannot tell them apart.
const PRODUCTS: Array<{ id: string; rgb: [number, number, number]; stripes: number }> = [
  { id: 'red-plain', rgb: [155.25, 13.5, 20.25], stripes: 0 },
  { id: 'red-striped', rgb: [230, 20, 30], stripes: 4 },
  { id: 'blue-plain', rgb: [10, 30, 220], stripes: 0 },
  { id: 'green-striped', rgb: [20, 200, 40], stripes: 4 },
];

/** A coloured product photo, optionally with dark vertical stripes (texture the colour-only tiny model cannot see). */
async function photo(rgb: [number, number, number], stripes: number, w = 64, h = 48): Promise<Buffer> {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const dark = stripes > 0 && Math.floor((x * stripes * 2) / w) % 2 === 1;
    data.set((dark ? rgb.map((c) => c * 0.35) : rgb).map((c) => Math.round(c)), (y * w + x) * 3);
  }
  return encodePng({ data, width: w, height: h, channels: 3 });
}

let fresh: Awaited<ReturnType<typeof freshShoplens>>;
let base: string;
let modelsDir: string;

beforeAll(async () => {
  base = await tempDir('shoplens-hybrid-');
  modelsDir = path.join(base, 'models');
  await installTinyClip(modelsDir);
  fresh = await freshShoplens({ extractor: 'onnx:tiny-clip*2+default', modelsDir });
  const report = await ingestPictures(fresh, await Promise.all(PRODUCTS.map(async (p) => ({ id: p.id, png: await photo(p.rgb, p.stripes) }))));
  expect(report.failed).toEqual([]);
  expect(report.created).toBe(PRODUCTS.length);
});

afterAll(async () => {
  await fresh?.cleanup();
  await rm(base, { recursive: true, force: true });
});

describe('hybrid extractor (ONNX + classic default)', () => {
  it('stores vectors under the hybrid identity, of both parts\' dimensions', () => {
    const id = fresh.shoplens.extractor.identity;
    expect(id.name).toBe('hybrid(onnx:tiny-clip*2+default*1)');
    expect(id.dimensions).toBeGreaterThan(2000); // the default's 2,239 + the tiny model's few
  });

  it('search by image uses both parts: the classic texture separates what the colour-only model cannot', async () => {
    const hybrid = fresh.shoplens.extractor as unknown as { parts: Array<{ extractor: { extract(i: unknown): Promise<Float32Array> } }> };
    const { decodeImage } = await import('../../src/imaging/index.js');
    const limits = { maxPixels: 1e7, maxBytes: 1e7 };
    const [plain, striped] = await Promise.all([PRODUCTS[0]!, PRODUCTS[1]!].map(async (p) => hybrid.parts[0]!.extractor.extract(await decodeImage(await photo(p.rgb, p.stripes), limits))));
    expect(cosineSimilarity(plain!, striped!)).toBeGreaterThan(0.999); // the ONNX part alone: a tie
    for (const p of PRODUCTS) {
      const res = await fresh.shoplens.search.searchByImage(await photo(p.rgb, p.stripes, 80, 60), { k: 4 });
      expect(res.hits[0]!.product.id, p.id).toBe(p.id);
    }
  });

  it('search by text goes through the part with the text tower', async () => {
    expect(fresh.shoplens.text).not.toBeNull();
    const blue = await fresh.shoplens.search.searchByText('blue', { k: 2 });
    expect(blue.hits[0]!.product.id).toBe('blue-plain');
    const red = await fresh.shoplens.search.searchByText('red shoes', { k: 2 });
    expect(red.hits.map((h) => h.product.id).sort()).toEqual(['red-plain', 'red-striped']);
  });

  it('refuses unknown parts and malformed specs with INVALID_CONFIG', async () => {
    const dir = await tempDir();
    try {
      await expect(openShoplens(loadConfig({ dataDir: dir, extractor: 'default+nosuch' }, {}))).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      await expect(openShoplens(loadConfig({ dataDir: dir, extractor: 'default*0+onnx:tiny-clip', modelsDir }, {}))).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      expect(() => loadConfig({ dataDir: dir, extractor: 'default++onnx:x' }, {})).toThrow(AppError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
