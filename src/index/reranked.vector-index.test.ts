import { describe, expect, it } from 'vitest';
import { cosineSimilarity } from '../domain/vector.js';
import { RerankedVectorIndex, type VectorSource } from './reranked.vector-index.js';
import { describeVectorIndexContract } from './vector-index.contract.js';
import { clusteredVectors } from './clustered-vectors.js';
import type { VectorIndex } from './vector-index.js';
import { UsearchVectorIndex } from './usearch/usearch.vector-index.js';

/**
 * Stands in for the catalog store: the float32 vectors the index was given, kept outside it.
 * `load` re-wraps a loaded index with the vectors of the index saved last (the contract saves,
 * then loads, within one case).
 */
class MapBackedIndex extends RerankedVectorIndex {
  static last = new Map<number, Float32Array>();
  constructor(inner: VectorIndex, readonly vectors = new Map<number, Float32Array>()) {
    super(inner, (keys) => keys.map((k) => vectors.get(k)));
    MapBackedIndex.last = vectors;
  }

  override upsert(keys: readonly number[], vectors: readonly Float32Array[]): void {
    super.upsert(keys, vectors);
    keys.forEach((k, i) => this.vectors.set(k, Float32Array.from(vectors[i]!)));
  }
}

const i8 = (dimensions: number): UsearchVectorIndex =>
  UsearchVectorIndex.create({ dimensions, metric: 'cosine', quantization: 'i8', usearch: { addThreads: 1 } });

// The contract, with exact distances (default tolerance) and the recall bar that i8 alone misses.
describeVectorIndexContract(
  'usearch-i8',
  {
    create: ({ dimensions, metric }) =>
      new MapBackedIndex(UsearchVectorIndex.create({ dimensions, metric, quantization: 'i8', usearch: { addThreads: 1 } })),
    load: async (path) => new MapBackedIndex(await UsearchVectorIndex.open(path, { addThreads: 1 }), MapBackedIndex.last),
    approximate: true,
  },
  { skip: { euclidean: 'i8 is cosine-only (see usearch.vector-index.test.ts); re-ranking cannot restore lengths the candidates were chosen without' } },
);

function recallAt10(index: VectorIndex, data: Float32Array[], queries: Float32Array[]): number {
  let hits = 0;
  for (const q of queries) {
    const truth = new Set(
      data.map((v, key) => ({ key, d: 1 - cosineSimilarity(q, v) })).sort((a, b) => a.d - b.d || a.key - b.key).slice(0, 10).map((r) => r.key),
    );
    hits += index.search(q, 10).filter((r) => truth.has(r.key)).length;
  }
  return hits / (queries.length * 10);
}

describe('RerankedVectorIndex', () => {
  it('restores the exact order where i8 alone gets it wrong', () => {
    // Along the first axis, offsets of 0.003 and 0.002 both quantise to 0 (127 · 0.003 < 1): i8
    // sees three identical vectors and ties them by key; the exact order is by offset.
    const q = Float32Array.from([1, 0, 0, 0]);
    const vectors = [Float32Array.from([1, 0.003, 0, 0]), Float32Array.from([1, 0.002, 0, 0]), Float32Array.from([1, 0, 0.001, 0])];
    const keys = [1, 2, 3];
    const raw = i8(4);
    raw.upsert(keys, vectors);
    const exact = keys
      .map((key, i) => ({ key, distance: 1 - cosineSimilarity(q, vectors[i]!) }))
      .sort((a, b) => a.distance - b.distance);
    expect(exact.map((r) => r.key)).toEqual([3, 2, 1]);
    expect(raw.search(q, 3).map((r) => r.key)).toEqual([1, 2, 3]); // wrong: ties broken by key

    const byKey = new Map(keys.map((k, i) => [k, vectors[i]!]));
    const reranked = new RerankedVectorIndex(raw, (ks) => ks.map((k) => byKey.get(k)));
    const res = reranked.search(q, 3);
    expect(res.map((r) => r.key)).toEqual([3, 2, 1]);
    res.forEach((r, i) => expect(r.distance).toBeCloseTo(exact[i]!.distance, 9));
  });

  it('lifts recall@10 on clustered 128-d data from i8 alone (< 0.9) to ≥ 0.95', () => {
    const data = clusteredVectors(5000, 128, 14, 50, 0.6);
    const queries = clusteredVectors(100, 128, 15, 50, 0.6);
    const raw = i8(128);
    raw.upsert(data.map((_, i) => i), data);
    const reranked = new RerankedVectorIndex(raw, (ks) => ks.map((k) => data[k]));
    expect(recallAt10(raw, data, queries)).toBeLessThan(0.9);
    expect(recallAt10(reranked, data, queries)).toBeGreaterThanOrEqual(0.95);
  });

  it('passes the filter to the inner index and drops candidates the source no longer holds', () => {
    const data = clusteredVectors(500, 16, 31);
    const raw = i8(16);
    raw.upsert(data.map((_, i) => i), data);
    const gone = new Set([0, 2, 4, 6, 8]);
    const asked: number[][] = [];
    const source: VectorSource = (ks) => {
      asked.push([...ks]);
      return ks.map((k) => (gone.has(k) ? undefined : data[k]));
    };
    const reranked = new RerankedVectorIndex(raw, source, { factor: 2, minCandidates: 10 });
    const res = reranked.search(data[0]!, 5, (k) => k % 2 === 0);
    expect(res).toHaveLength(5);
    expect(res.every((r) => r.key % 2 === 0 && !gone.has(r.key))).toBe(true);
    expect(asked[0]).toHaveLength(10); // max(5 × 2, 10) candidates
    expect(reranked.search(data[0]!, 0)).toEqual([]);
  });

  it('refuses a source whose vectors have other dimensions (e.g. base vectors under a trained projection)', () => {
    const raw = i8(8);
    raw.upsert([1], clusteredVectors(1, 8, 32));
    const reranked = new RerankedVectorIndex(raw, (ks) => ks.map(() => new Float32Array(16)));
    expect(() => reranked.search(new Float32Array(8).fill(1), 1)).toThrow(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
    expect(() => new RerankedVectorIndex(raw, () => [], { factor: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER' }));
  });
});
