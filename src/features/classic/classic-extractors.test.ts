import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cosineSimilarity, dot } from '../../domain/vector.js';
import { decodeImage, encodeJpeg, resample } from '../../imaging/index.js';
import type { GrayImage, RgbImage } from '../../imaging/index.js';
import type { FeatureExtractor } from '../feature-extractor.js';
import { ColorHistogramExtractor, colorHistogram, COLOR_BINS } from './color-histogram.extractor.js';
import { createDefaultExtractor } from './default.extractor.js';
import { HogExtractor, hogDescriptor } from './hog.extractor.js';
import { LBP_BINS, LbpExtractor, lbpHistogram } from './lbp.extractor.js';
import { RawPixelsExtractor } from './raw-pixels.extractor.js';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/images');
const GOOD = ['solid-red.png', 'checkerboard.png', 'gradient.jpg', 'exif-orientation-6.jpg', 'alpha.png', 'quadrants.webp', 'two-frames.gif'];
const load = async (name: string) => decodeImage(await readFile(join(FIXTURES, name)));

function gray(width: number, height: number, f: (x: number, y: number) => number): GrayImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { data, width, height, channels: 1 };
}
function rgb(width: number, height: number, f: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 3);
  return { data, width, height, channels: 3 };
}
const norm = (v: Float32Array) => Math.sqrt(dot(v, v));

/** A synthetic "product shot": a coloured shape with a stripe pattern on white, varied by seed. */
function product(seed: number): RgbImage {
  const hue: [number, number, number][] = [[200, 30, 30], [30, 160, 40], [40, 60, 200], [230, 200, 40], [120, 40, 160], [30, 30, 30]];
  const c = hue[seed % hue.length]!;
  const tall = seed % 2 === 0;
  const period = 4 + (seed % 5) * 3;
  return rgb(240, 180, (x, y) => {
    const inside = tall ? Math.abs(x - 120) < 40 && Math.abs(y - 90) < 80 : Math.hypot(x - 120, y - 90) < 70 + (seed % 3) * 10;
    if (!inside) return [255, 255, 255];
    const stripe = Math.floor((seed % 3 === 0 ? x : x + y) / period) % 2 === 0;
    return stripe ? c : [Math.min(255, c[0] + 60), Math.min(255, c[1] + 60), Math.min(255, c[2] + 60)];
  });
}

const extractors: [string, () => FeatureExtractor][] = [
  ['default', createDefaultExtractor],
  ['raw-pixels', () => new RawPixelsExtractor()],
  ['color-histogram', () => new ColorHistogramExtractor()],
  ['lbp', () => new LbpExtractor()],
  ['hog', () => new HogExtractor()],
];

describe.each(extractors)('%s extractor', (_name, make) => {
  const ex = make();

  it('has a complete cosine identity', () => {
    expect(ex.identity.metric).toBe('cosine');
    expect(ex.identity.dimensions).toBeGreaterThan(0);
    expect(ex.identity.preprocessing.length).toBeGreaterThan(10);
  });

  it('returns unit vectors of identity.dimensions, deterministically', async () => {
    for (const name of GOOD) {
      const img = await load(name);
      const a = await ex.extract(img);
      expect(a).toBeInstanceOf(Float32Array);
      expect(a.length).toBe(ex.identity.dimensions);
      expect(a.every(Number.isFinite)).toBe(true);
      // HOG alone has nothing to describe in a flat image: a zero vector, by design.
      const flat = name === 'solid-red.png' || name === 'two-frames.gif';
      expect(norm(a)).toBeCloseTo(_name === 'hog' && flat ? 0 : 1, 5);
      expect(await ex.extract(await load(name))).toEqual(a);
    }
  });

  it('copes with degenerate sizes (1×1, 1×500, 500×1)', async () => {
    for (const [w, h] of [[1, 1], [1, 500], [500, 1]] as const) {
      const v = await ex.extract(rgb(w, h, (x, y) => [(x * 3) % 256, (y * 5) % 256, 90]));
      expect(v.length).toBe(ex.identity.dimensions);
      expect(v.every(Number.isFinite)).toBe(true);
    }
  });

  it('gives cosine 1 for the same image decoded twice and < 1 for a different image', async () => {
    const a = await ex.extract(await load('gradient.jpg'));
    const b = await ex.extract(await load('gradient.jpg'));
    expect(cosineSimilarity(a, b)).toBeCloseTo(1, 6);
    const c = await ex.extract(await load('checkerboard.png'));
    expect(cosineSimilarity(a, c)).toBeLessThan(0.95);
  });
});

describe('default extractor', () => {
  const ex = createDefaultExtractor();

  it('identifies itself as default@1', () => {
    expect(ex.identity).toMatchObject({ name: 'default', version: '1', metric: 'cosine' });
    expect(ex.identity.dimensions).toBe(5 * COLOR_BINS + 5 * LBP_BINS + 1764);
  });

  it('a re-encoded (JPEG q70), slightly resized copy is closer to its original than any other fixture', async () => {
    // two-frames.gif is left out: its first frame is solid red, a true duplicate of solid-red.png.
    const names = GOOD.filter((n) => n !== 'two-frames.gif');
    const originals = await Promise.all(names.map(load));
    const vectors = await Promise.all(originals.map((img) => ex.extract(img)));
    for (let i = 0; i < originals.length; i++) {
      const img = originals[i]!;
      const smaller = resample(img, Math.round(img.width * 0.9), Math.round(img.height * 0.9));
      const copy = await decodeImage(await encodeJpeg(smaller, { quality: 70 }));
      const q = await ex.extract(copy);
      const sims = vectors.map((v) => cosineSimilarity(q, v));
      const best = sims.indexOf(Math.max(...sims));
      expect(names[best], `copy of ${names[i]} (sims ${sims.map((s) => s.toFixed(3)).join(' ')})`).toBe(names[i]);
      expect(sims[i]).toBeGreaterThan(0.95);
    }
  });

  it('finds re-encoded copies of synthetic product shots among 24 similar ones', async () => {
    const shots = Array.from({ length: 24 }, (_, s) => product(s));
    const vectors = await Promise.all(shots.map((img) => ex.extract(img)));
    let found = 0;
    for (let i = 0; i < shots.length; i++) {
      const img = shots[i]!;
      const copy = await decodeImage(await encodeJpeg(resample(img, 216, 162), { quality: 70 }));
      const q = await ex.extract(copy);
      const sims = vectors.map((v) => cosineSimilarity(q, v));
      if (sims.indexOf(Math.max(...sims)) === i) found++;
    }
    expect(found).toBe(shots.length);
  });

  it('ranks a same-colour, same-shape item above a different colour', async () => {
    const red = await ex.extract(product(0));
    const redAgain = await ex.extract(product(6)); // same colour and shape family, different stripes
    const blue = await ex.extract(product(2));
    expect(cosineSimilarity(red, redAgain)).toBeGreaterThan(cosineSimilarity(red, blue));
  });
});

describe('descriptor kernels', () => {
  it('colour: solid red puts all mass in the red hue bins, white in the light-grey bin', () => {
    const red = colorHistogram(rgb(16, 16, () => [255, 0, 0]), { levels: [1] });
    const nonzero = [...red.keys()].filter((i) => red[i]! > 1e-6);
    expect(nonzero.length).toBeGreaterThan(0);
    expect(nonzero.every((i) => i >= 4)).toBe(true); // chromatic bins only
    const white = colorHistogram(rgb(16, 16, () => [255, 255, 255]), { levels: [1] });
    expect([...white.keys()].filter((i) => white[i]! > 1e-6)).toEqual([3]);
    const black = colorHistogram(rgb(16, 16, () => [0, 0, 0]), { levels: [1] });
    expect(black[0]).toBeCloseTo(1, 6);
    expect(cosineSimilarity(red, white)).toBe(0);
  });

  it('colour: the 2×2 grid tells left/right layouts apart that the global histogram cannot', () => {
    const a = rgb(32, 32, (x) => (x < 16 ? [255, 0, 0] : [0, 0, 255]));
    const b = rgb(32, 32, (x) => (x < 16 ? [0, 0, 255] : [255, 0, 0]));
    expect(cosineSimilarity(colorHistogram(a, { levels: [1] }), colorHistogram(b, { levels: [1] }))).toBeCloseTo(1, 6);
    expect(cosineSimilarity(colorHistogram(a), colorHistogram(b))).toBeLessThan(0.5);
  });

  it('LBP: unchanged by a brightness shift, different for different textures', () => {
    let seed = 5;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8) % 200;
    const noise = gray(48, 48, () => rnd());
    const brighter = gray(48, 48, (x, y) => noise.data[y * 48 + x]! + 40);
    expect(lbpHistogram(brighter)).toEqual(lbpHistogram(noise));
    const stripes = gray(48, 48, (x) => (x % 4 < 2 ? 50 : 200));
    expect(cosineSimilarity(lbpHistogram(noise), lbpHistogram(stripes))).toBeLessThan(0.7);
  });

  it('HOG: vertical and horizontal edges are nearly orthogonal, a flat image gives zeros', () => {
    const vertical = hogDescriptor(gray(64, 64, (x) => (x % 16 < 8 ? 0 : 255)));
    const horizontal = hogDescriptor(gray(64, 64, (_x, y) => (y % 16 < 8 ? 0 : 255)));
    expect(vertical.length).toBe(1764);
    expect(norm(vertical)).toBeCloseTo(1, 5);
    expect(cosineSimilarity(vertical, horizontal)).toBeLessThan(0.1);
    const shifted = hogDescriptor(gray(64, 64, (x) => ((x + 1) % 16 < 8 ? 0 : 255)));
    expect(cosineSimilarity(vertical, shifted)).toBeGreaterThan(0.8);
    expect(norm(hogDescriptor(gray(64, 64, () => 90)))).toBe(0);
  });
});
