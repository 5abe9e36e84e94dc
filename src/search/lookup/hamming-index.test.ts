import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../eval/random.js';
import { descriptorWords as concat, joinDescriptors, near, randomDescriptors } from '../../../test/factories/descriptors.js';
import { DEFAULT_HAMMING_OPTIONS, HammingIndex, topK, type IndexedImage } from './hamming-index.js';

const VOCABULARY = 64;

function image(key: number, words: number[], rand: () => number): IndexedImage {
  return { key, words: Uint32Array.from(words), xy: Float32Array.from({ length: 2 * words.length }, () => rand() * 300), descriptors: randomDescriptors(words.length, rand) };
}

describe('Hamming-embedding index', () => {
  const rand = seededRandom(5);
  const images = [image(11, [0, 1, 2, 3, 4, 5], rand), image(12, [0, 1, 2, 3, 6, 7], rand), image(13, [8, 9, 10, 11, 12, 13], rand)];
  const index = new HammingIndex(VOCABULARY, images);

  it('counts a shared word only when the descriptors are close', () => {
    // The query shares words 0–3 with images 11 and 12, but its descriptors are near 12's only.
    const parts = [0, 1, 2, 3].map((k) => near(images[1]!.descriptors, k, 20, rand));
    const { candidates, matches } = index.query(Uint32Array.from([0, 1, 2, 3]), concat(parts), undefined, 3);
    expect(candidates.map((c) => c.key)).toEqual([12]);
    expect(matches.count(0)).toBe(4);
    // Far descriptors in the same words (random: ~128 bits apart) match nothing.
    const far = index.query(Uint32Array.from([0, 1]), concat([near(images[1]!.descriptors, 0, 100, rand), near(images[1]!.descriptors, 1, 100, rand)]), undefined, 3);
    expect(far.candidates).toEqual([]);
  });

  it('compares the first 128 bits of each descriptor by default, in half the memory of whole ones', () => {
    const whole = new HammingIndex(VOCABULARY, images, { ...DEFAULT_HAMMING_OPTIONS, signatureWords: 8, threshold: 64, sigma: 24 });
    const postings = images.reduce((n, d) => n + d.words.length, 0);
    // 16 bytes less per posting; the weights table of 64 bits has 32 more floats.
    expect(whole.memoryBytes - index.memoryBytes).toBe(postings * 16 + 32 * 4);
    // Image 12's first descriptor in its first 128 bits, every later bit flipped.
    const d = images[1]!.descriptors.slice(0, 32);
    for (let b = 16; b < 32; b++) d[b] = d[b]! ^ 0xff;
    const words = Uint32Array.from([0]);
    expect(index.query(words, concat([d]), undefined, 3).candidates.map((c) => c.key)).toEqual([12]);
    expect(whole.query(words, concat([d]), undefined, 3).candidates).toEqual([]);
    expect(() => new HammingIndex(VOCABULARY, images, { ...DEFAULT_HAMMING_OPTIONS, signatureWords: 6 as 8 })).toThrow(/4 or 8 words/);
  });

  it('weights closer descriptors higher and honours the accept filter', () => {
    const close = index.query(Uint32Array.from([8, 9]), concat([near(images[2]!.descriptors, 0, 4, rand), near(images[2]!.descriptors, 1, 4, rand)]), undefined, 3);
    const looser = index.query(Uint32Array.from([8, 9]), concat([near(images[2]!.descriptors, 0, 40, rand), near(images[2]!.descriptors, 1, 40, rand)]), undefined, 3);
    expect(close.candidates[0]!.key).toBe(13);
    expect(close.candidates[0]!.score).toBeGreaterThan(looser.candidates[0]!.score);
    expect(index.query(Uint32Array.from([8, 9]), concat([images[2]!.descriptors.slice(0, 32), images[2]!.descriptors.slice(32, 64)]), undefined, 3, (k) => k !== 13).candidates).toEqual([]);
  });

  it('counts a query keypoint matching a burst of catalog keypoints once (÷ √matches)', () => {
    const r = seededRandom(9);
    const base = randomDescriptors(1, r);
    const burst: IndexedImage = { key: 1, words: new Uint32Array(16).fill(20), xy: new Float32Array(32), descriptors: joinDescriptors(Array.from({ length: 16 }, () => near(base, 0, 2, r))) };
    const distinct: IndexedImage = { key: 2, words: Uint32Array.from({ length: 16 }, (_, i) => 21 + i), xy: new Float32Array(32), descriptors: randomDescriptors(16, r) };
    const idx = new HammingIndex(VOCABULARY, [burst, distinct, image(3, [40, 41], r), image(4, [42, 43], r)]);
    const q1 = idx.query(Uint32Array.from([20]), concat([near(base, 0, 2, r)]), undefined, 4).candidates[0]!;
    const q16 = idx.query(Uint32Array.from({ length: 16 }, (_, i) => 21 + i), concat(Array.from({ length: 16 }, (_, k) => near(distinct.descriptors, k, 2, r))), undefined, 4).candidates[0]!;
    expect(q1.key).toBe(1);
    expect(q16.key).toBe(2);
    // 16 matches of one query keypoint weigh √16 = 4 single matches, not 16.
    expect(q1.score).toBeLessThan(q16.score / 2);
  });

  it('counts a word match only when the keypoints turn by at most maxTurn (weak geometric consistency)', () => {
    const r = seededRandom(12);
    const product: IndexedImage = { ...image(1, [30, 31, 32, 33], r), angles: Uint8Array.from([0, 64, 128, 250]) };
    const other = { ...image(2, [34, 35], r), angles: Uint8Array.from([10, 20]) };
    const q = concat([0, 1, 2, 3].map((k) => near(product.descriptors, k, 4, r)));
    const words = Uint32Array.from([30, 31, 32, 33]);
    // The query's keypoints turned by +20 steps (28°), or by half a turn (upside down).
    const turned = Uint8Array.from(product.angles!, (a) => (a + 20) & 255);
    const upsideDown = Uint8Array.from(product.angles!, (a) => (a + 128) & 255);
    const within = new HammingIndex(VOCABULARY, [product, other], { ...DEFAULT_HAMMING_OPTIONS, maxTurn: 45 });
    expect(within.query(words, q, turned, 2).matches.count(0)).toBe(4);
    expect(within.query(words, q, upsideDown, 2).candidates).toEqual([]);
    // A turn of 40 steps (56°) is beyond 45° for every keypoint, including across 0 (250 + 40).
    expect(within.query(words, q, Uint8Array.from(product.angles!, (a) => (a - 40) & 255), 2).candidates).toEqual([]);
    // Any turn counts by default, without query angles, or when an image has no angles (older analysis).
    expect(new HammingIndex(VOCABULARY, [product, other]).query(words, q, upsideDown, 2).matches.count(0)).toBe(4);
    expect(within.query(words, q, undefined, 2).matches.count(0)).toBe(4);
    const { angles: _, ...older } = other;
    expect(new HammingIndex(VOCABULARY, [product, older], { ...DEFAULT_HAMMING_OPTIONS, maxTurn: 45 }).query(words, q, upsideDown, 2).matches.count(0)).toBe(4);
  });

  it('reports the memory it holds', () => {
    expect(index.memoryBytes).toBeGreaterThanOrEqual(18 * (4 + 32 + 4));
  });

  it('topK returns the largest positive scores in order', () => {
    const s = Float32Array.from([0.1, 0.9, 0, 0.5, 0.7, -1]);
    expect(topK(s, 3, () => true)).toEqual([1, 4, 3]);
  });
});
