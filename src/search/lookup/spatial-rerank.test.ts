import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../eval/random.js';
import { CatalogGeometry, DEFAULT_SPATIAL_OPTIONS, QueryWords, SpatialReranker } from './spatial-rerank.js';

const VOCABULARY = 4096;

function randomDoc(n: number, seed: number): { words: Uint32Array; xy: Float32Array } {
  const r = seededRandom(seed);
  return { words: Uint32Array.from({ length: n }, () => Math.floor(r() * VOCABULARY)), xy: Float32Array.from({ length: 2 * n }, () => 20 + r() * 360) };
}

/** A photo: `keep` of the product's keypoints moved by a similarity, among `clutter` random ones. */
function photo(product: { words: Uint32Array; xy: Float32Array }, keep: number, clutter: number, seed: number) {
  const r = seededRandom(seed);
  const angle = (25 * Math.PI) / 180, scale = 0.6;
  const a = scale * Math.cos(angle), b = scale * Math.sin(angle), tx = 210, ty = 90;
  const words: number[] = [], xy: number[] = [];
  for (let k = 0; k < keep; k++) {
    const x = product.xy[2 * k]!, y = product.xy[2 * k + 1]!;
    words.push(product.words[k]!);
    xy.push(a * x - b * y + tx + (r() - 0.5) * 2, b * x + a * y + ty + (r() - 0.5) * 2);
  }
  for (let k = 0; k < clutter; k++) {
    words.push(Math.floor(r() * VOCABULARY));
    xy.push(r() * 640, r() * 480);
  }
  return { words: Uint32Array.from(words), xy: Float32Array.from(xy), a, b, tx, ty };
}

describe('spatial re-ranking', () => {
  const docs = [randomDoc(500, 1), randomDoc(500, 2), randomDoc(500, 3)];
  const geometry = new CatalogGeometry(docs);
  const reranker = new SpatialReranker(geometry);

  it('finds the product placed by a similarity among clutter that shares as many words', () => {
    // 60 of the product's keypoints; 2,000 clutter keypoints bring chance word matches with every image.
    const q = photo(docs[1]!, 60, 2000, 7);
    const query = new QueryWords(VOCABULARY, q.words, q.xy);
    const scores = docs.map((_, slot) => reranker.score(slot, query, 640));
    expect(scores[1]!.inliers).toBeGreaterThanOrEqual(40);
    expect(scores[0]!.inliers).toBeLessThan(12);
    expect(scores[2]!.inliers).toBeLessThan(12);
    const m = scores[1]!.similarity!;
    expect(m.a).toBeCloseTo(q.a, 1);
    expect(m.b).toBeCloseTo(q.b, 1);
    expect(Math.abs(m.tx - q.tx)).toBeLessThan(8);
    expect(Math.abs(m.ty - q.ty)).toBeLessThan(8);
  });

  it('is deterministic and scores an image with no shared words 0', () => {
    const q = photo(docs[0]!, 40, 500, 9);
    const query = new QueryWords(VOCABULARY, q.words, q.xy);
    expect(reranker.score(0, query, 640)).toEqual(reranker.score(0, query, 640));
    const empty = new QueryWords(VOCABULARY, new Uint32Array(0), new Float32Array(0));
    expect(reranker.score(0, empty, 640).inliers).toBe(0);
  });

  it('ignores bursty words (repeated on both sides)', () => {
    // A texture: one word repeated 50× in the catalog image and 50× in the photo, all consistent
    // with the identity — 2,500 pairs that say nothing about which product this is.
    const n = 50;
    const doc = { words: new Uint32Array(n).fill(7), xy: Float32Array.from({ length: 2 * n }, (_, i) => 10 + 7 * i) };
    const g = new CatalogGeometry([doc]);
    const query = new QueryWords(VOCABULARY, doc.words, doc.xy);
    expect(new SpatialReranker(g).score(0, query, 640).inliers).toBe(0);
    expect(new SpatialReranker(g, { ...DEFAULT_SPATIAL_OPTIONS, maxPairs: 10_000 }).score(0, query, 640).inliers).toBeGreaterThan(20);
  });

  it('reports the memory it holds', () => {
    expect(geometry.memoryBytes).toBeGreaterThanOrEqual(1500 * (4 + 4 + 2));
  });
});
