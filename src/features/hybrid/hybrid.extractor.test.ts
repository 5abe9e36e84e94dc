import { describe, expect, it } from 'vitest';
import { AppError } from '../../domain/errors.js';
import { cosineSimilarity } from '../../domain/vector.js';
import type { RgbImage } from '../../imaging/types.js';
import { createDefaultExtractor } from '../classic/default.extractor.js';
import { RawPixelsExtractor } from '../classic/raw-pixels.extractor.js';
import { identityKey, type FeatureExtractor } from '../feature-extractor.js';
import type { TextEmbedder } from '../text/text-embedder.js';
import { HybridExtractor, parseExtractorSpec } from './hybrid.extractor.js';

function image(seed: number, w = 48, h = 40): RgbImage {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 3;
    data[i] = (x * 5 + seed * 40) % 256;
    data[i + 1] = (y * 7 + seed * 13) % 256;
    data[i + 2] = ((x + y) * seed) % 256;
  }
  return { data, width: w, height: h, channels: 3 };
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('HybridExtractor', () => {
  const deflt = createDefaultExtractor();
  const raw = new RawPixelsExtractor(16);

  it('concatenates the parts into one unit vector whose cosine is the weighted mean of the parts\' cosines', async () => {
    const hybrid = new HybridExtractor([{ extractor: deflt, weight: 3 }, { extractor: raw, weight: 1 }]);
    expect(hybrid.identity.dimensions).toBe(deflt.identity.dimensions + 256);
    const [a, b] = [image(1), image(2)];
    const ha = await hybrid.extract(a), hb = await hybrid.extract(b);
    expect(ha.length).toBe(hybrid.identity.dimensions);
    expect(norm(ha)).toBeCloseTo(1, 5);
    const cosDefault = cosineSimilarity(await deflt.extract(a), await deflt.extract(b));
    const cosRaw = cosineSimilarity(await raw.extract(a), await raw.extract(b));
    expect(cosDefault).not.toBeCloseTo(cosRaw, 2); // otherwise the weighting below proves nothing
    expect(cosineSimilarity(ha, hb)).toBeCloseTo((3 * cosDefault + cosRaw) / 4, 5);
  });

  it('has an identity naming every part and weight: changing a weight changes it', () => {
    const a = new HybridExtractor([{ extractor: deflt, weight: 1 }, { extractor: raw, weight: 1 }]);
    const b = new HybridExtractor([{ extractor: deflt, weight: 2 }, { extractor: raw, weight: 1 }]);
    expect(a.identity.name).toBe('hybrid(default*1+raw-pixels*1)');
    expect(a.identity.preprocessing).toContain(identityKey(raw.identity));
    expect(identityKey(a.identity)).not.toBe(identityKey(b.identity));
  });

  it('puts a text query in the slot of the one part with a text tower, so it ranks like that part alone', async () => {
    const tower: TextEmbedder = { dimensions: 256, embed: async () => raw.extract(image(2)) };
    const hybrid = new HybridExtractor([{ extractor: deflt, weight: 1 }, { extractor: raw, weight: 1 }], (e) => (e === raw ? tower : null));
    const t = await hybrid.text!.embed('anything');
    expect(t.subarray(0, deflt.identity.dimensions).every((x) => x === 0)).toBe(true);
    const [h1, h2, h3] = await Promise.all([1, 2, 3].map((s) => hybrid.extract(image(s))));
    const r = await Promise.all([1, 2, 3].map((s) => raw.extract(image(s))));
    const q = await tower.embed('anything');
    const order = (xs: number[]) => xs.map((x, i) => [x, i] as const).sort((p, q2) => q2[0] - p[0]).map(([, i]) => i);
    expect(order([h1!, h2!, h3!].map((h) => cosineSimilarity(t, h)))).toEqual(order(r.map((v) => cosineSimilarity(q, v))));
    // Kept by a pooled copy of the parts.
    expect(hybrid.withExtractors((e) => e).text).not.toBeNull();
    // No text tower at all → no text search.
    expect(new HybridExtractor([{ extractor: deflt, weight: 1 }, { extractor: raw, weight: 1 }]).text).toBeNull();
  });

  it('refuses bad parts: one part, weight ≤ 0, a non-cosine part', () => {
    const euclid: FeatureExtractor = { identity: { ...raw.identity, name: 'euclid', metric: 'euclidean' }, extract: (i) => raw.extract(i) };
    for (const parts of [
      [{ extractor: deflt, weight: 1 }],
      [{ extractor: deflt, weight: 0 }, { extractor: raw, weight: 1 }],
      [{ extractor: deflt, weight: 1 }, { extractor: euclid, weight: 1 }],
    ]) {
      expect(() => new HybridExtractor(parts)).toThrow(AppError);
      try { new HybridExtractor(parts); } catch (e) { expect((e as AppError).code).toBe('INVALID_CONFIG'); }
    }
  });
});

describe('parseExtractorSpec', () => {
  it('reads names with optional weights joined by +', () => {
    expect(parseExtractorSpec('default')).toEqual([{ name: 'default', weight: 1 }]);
    expect(parseExtractorSpec('onnx:clip-vit-b32*2+default*0.5')).toEqual([{ name: 'onnx:clip-vit-b32', weight: 2 }, { name: 'default', weight: 0.5 }]);
  });

  it('rejects malformed terms and repeated parts with INVALID_CONFIG', () => {
    for (const bad of ['default*0', 'default+', '+default', 'default*x', 'default*-1', 'default+default']) {
      expect(() => parseExtractorSpec(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });
});
