import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosineSimilarity, dot } from '../../domain/vector.js';
import { decodeImage, encodeJpeg } from '../../imaging/index.js';
import type { RgbImage } from '../../imaging/index.js';
import { NsfwjsMobileNetExtractor } from './nsfwjs.extractor.js';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/images');
const load = async (name: string) => decodeImage(await readFile(join(FIXTURES, name)));

// One model load for the file (~2 s); each forward pass is 50–100 ms on an idle core.
describe('NsfwjsMobileNetExtractor (real MobileNetV2 weights bundled in nsfwjs, tfjs WASM)', () => {
  let extractor: NsfwjsMobileNetExtractor;
  let quadrants: RgbImage, checkerboard: RgbImage, gradient: RgbImage;
  beforeAll(async () => {
    extractor = await NsfwjsMobileNetExtractor.create();
    [quadrants, checkerboard, gradient] = await Promise.all([load('quadrants.webp'), load('checkerboard.png'), load('gradient.jpg')]);
  });
  afterAll(() => extractor?.dispose());

  it('returns a finite, unit-length vector of the declared 1280 dimensions', async () => {
    expect(extractor.identity).toMatchObject({ name: 'nsfwjs-mobilenet-v2', dimensions: 1280, metric: 'cosine' });
    const v = await extractor.extract(quadrants);
    expect(v).toHaveLength(1280);
    expect(v.every(Number.isFinite)).toBe(true);
    expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    // A ReLU network's pooled activations are non-negative and, on a real image, not all zero.
    expect(v.every((x) => x >= 0)).toBe(true);
    expect(v.filter((x) => x > 0).length).toBeGreaterThan(50);
  });

  it('is deterministic, and a batch gives the same vectors as single images', () => {
    const a = extractor.extractSync(checkerboard);
    const b = extractor.extractSync(checkerboard);
    expect(Array.from(b)).toEqual(Array.from(a));
    const [c, q] = extractor.extractBatch([checkerboard, quadrants]);
    expect(cosineSimilarity(c!, a)).toBeGreaterThan(0.99999);
    expect(cosineSimilarity(q!, extractor.extractSync(quadrants))).toBeGreaterThan(0.99999);
    expect(extractor.extractBatch([])).toEqual([]);
  });

  it('keeps a re-compressed copy closer than a different image', async () => {
    const copy = await decodeImage(await encodeJpeg(quadrants, { quality: 60 }));
    const q = extractor.extractSync(quadrants);
    const sameImage = cosineSimilarity(q, extractor.extractSync(copy));
    const otherImage = cosineSimilarity(q, extractor.extractSync(gradient));
    expect(sameImage).toBeGreaterThan(0.95);
    expect(sameImage).toBeGreaterThan(otherImage);
  });
});
