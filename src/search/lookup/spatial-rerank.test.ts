import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../eval/random.js';
import { descriptorWords, joinDescriptors, near, randomDescriptors } from '../../../test/factories/descriptors.js';
import { HammingIndex, type IndexedImage } from './hamming-index.js';
import { DEFAULT_SPATIAL_OPTIONS, SpatialReranker } from './spatial-rerank.js';

const VOCABULARY = 4096;

function randomImage(key: number, n: number, seed: number): IndexedImage {
  const r = seededRandom(seed);
  return {
    key,
    words: Uint32Array.from({ length: n }, () => Math.floor(r() * VOCABULARY)),
    xy: Float32Array.from({ length: 2 * n }, () => 20 + r() * 360),
    descriptors: randomDescriptors(n, r),
  };
}

/**
 * A photo: `keep` of the product's keypoints (descriptors 20 bits off) moved by a similarity,
 * among `clutter` keypoints that match the catalog images' descriptors but lie anywhere.
 */
function photo(images: IndexedImage[], product: number, keep: number, clutter: number, seed: number) {
  const r = seededRandom(seed);
  const angle = (25 * Math.PI) / 180, scale = 0.6;
  const a = scale * Math.cos(angle), b = scale * Math.sin(angle), tx = 210, ty = 90;
  const words: number[] = [], xy: number[] = [], descriptors: Uint8Array[] = [];
  const p = images[product]!;
  for (let k = 0; k < keep; k++) {
    const x = p.xy[2 * k]!, y = p.xy[2 * k + 1]!;
    words.push(p.words[k]!);
    descriptors.push(near(p.descriptors, k, 20, r));
    xy.push(a * x - b * y + tx + (r() - 0.5) * 2, b * x + a * y + ty + (r() - 0.5) * 2);
  }
  for (let k = 0; k < clutter; k++) {
    const other = images[Math.floor(r() * images.length)]!;
    const j = Math.floor(r() * other.words.length);
    words.push(other.words[j]!);
    descriptors.push(near(other.descriptors, j, 20, r));
    xy.push(r() * 640, r() * 480);
  }
  return { words: Uint32Array.from(words), xy: Float32Array.from(xy), descriptors: descriptorWords(descriptors), a, b, tx, ty };
}

describe('spatial re-ranking', () => {
  const images = [randomImage(1, 500, 1), randomImage(2, 500, 2), randomImage(3, 500, 3)];
  const index = new HammingIndex(VOCABULARY, images);
  const reranker = new SpatialReranker();

  it('finds the product placed by a similarity among clutter that matches every image as often', () => {
    // 60 of the product's keypoints; 600 clutter keypoints bring ~200 chance matches with every image.
    const q = photo(images, 1, 60, 600, 7);
    const { candidates, matches } = index.query(q.words, q.descriptors, undefined, 3);
    const scores = new Map(candidates.map((c, i) => [c.key, reranker.score(matches, i, q.xy, 640)]));
    expect(scores.get(2)!.inliers).toBeGreaterThanOrEqual(40);
    expect(scores.get(1)!.inliers).toBeLessThan(12);
    expect(scores.get(3)!.inliers).toBeLessThan(12);
    const m = scores.get(2)!.similarity!;
    expect(m.a).toBeCloseTo(q.a, 1);
    expect(m.b).toBeCloseTo(q.b, 1);
    // The placement puts the product's keypoints where they are in the photo (within the inlier threshold).
    const p = images[1]!;
    let worst = 0;
    for (let k = 0; k < 60; k++) {
      const x = p.xy[2 * k]!, y = p.xy[2 * k + 1]!;
      worst = Math.max(worst, Math.hypot(m.a * x - m.b * y + m.tx - q.xy[2 * k]!, m.b * x + m.a * y + m.ty - q.xy[2 * k + 1]!));
    }
    expect(worst).toBeLessThan(DEFAULT_SPATIAL_OPTIONS.threshold * 640 * 1.5);
  });

  it('places the product only within the rotation it is told to expect', () => {
    // The photo turns the product by 25°.
    const q = photo(images, 1, 60, 600, 7);
    const { candidates, matches } = index.query(q.words, q.descriptors, undefined, 3);
    const c = candidates.findIndex((x) => x.key === 2);
    const within = new SpatialReranker({ ...DEFAULT_SPATIAL_OPTIONS, maxRotation: 30 }).score(matches, c, q.xy, 640);
    expect(within.inliers).toBeGreaterThanOrEqual(40);
    expect(Math.atan2(within.similarity!.b, within.similarity!.a)).toBeCloseTo((25 * Math.PI) / 180, 1);
    expect(new SpatialReranker({ ...DEFAULT_SPATIAL_OPTIONS, maxRotation: 10 }).score(matches, c, q.xy, 640).inliers).toBeLessThan(12);
  });

  it('is deterministic and scores a candidate with no matches 0', () => {
    const q = photo(images, 0, 40, 300, 9);
    const { candidates, matches } = index.query(q.words, q.descriptors, undefined, 3);
    const c = candidates.findIndex((x) => x.key === 1);
    expect(reranker.score(matches, c, q.xy, 640)).toEqual(reranker.score(matches, c, q.xy, 640));
    const none = index.query(new Uint32Array(0), new Uint32Array(0), undefined, 3);
    expect(none.candidates).toEqual([]);
  });

  it('ignores bursts (one keypoint matching many on the other side)', () => {
    // A texture: one descriptor repeated 50× in the catalog image and 50× in the photo, all
    // consistent with the identity — 2,500 pairs that say nothing about which product this is.
    const r = seededRandom(4);
    const n = 50, base = randomDescriptors(1, r);
    const texture: IndexedImage = {
      key: 9, words: new Uint32Array(n).fill(7), xy: Float32Array.from({ length: 2 * n }, (_, i) => 10 + 7 * i),
      descriptors: joinDescriptors(Array.from({ length: n }, () => near(base, 0, 3, r))),
    };
    const idx = new HammingIndex(VOCABULARY, [texture, randomImage(10, 50, 5)]);
    const { candidates, matches } = idx.query(texture.words, descriptorWords(Array.from({ length: n }, () => near(base, 0, 3, r))), undefined, 2);
    expect(candidates[0]!.key).toBe(9);
    expect(reranker.score(matches, 0, texture.xy, 640).inliers).toBe(0);
    expect(new SpatialReranker({ ...DEFAULT_SPATIAL_OPTIONS, maxPairs: 10_000 }).score(matches, 0, texture.xy, 640).inliers).toBeGreaterThan(20);
  });
});
