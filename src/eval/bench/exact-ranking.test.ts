import { describe, expect, it } from 'vitest';
import { averagePrecision, knnVote, precisionAtK } from '../metrics.js';
import { DotKernel } from './dot-kernel.js';
import { ExactRanker, metricsOf, scoreQuery, topK } from './exact-ranking.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

function randomMatrix(rows: number, dim: number, rand: () => number, normalise = true): Float32Array {
  const m = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let d = 0; d < dim; d++) { const v = rand() * 2 - 1; m[r * dim + d] = v; ss += v * v; }
    if (normalise) for (let d = 0; d < dim; d++) m[r * dim + d]! /= Math.sqrt(ss);
  }
  return m;
}

function naiveDot(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += a[ai * dim + d]! * b[bi * dim + d]!;
  return s;
}

/** The textbook way: sort the whole catalog (ties: non-relevant first, then lower index) and use metrics.ts directly. */
function naiveScores(sims: ArrayLike<number>, labels: ArrayLike<number>, q: number) {
  const ids = Array.from({ length: sims.length }, (_, i) => i);
  const rel = (i: number) => (labels[i] === q ? 1 : 0);
  const apOrder = [...ids].sort((a, b) => sims[b]! - sims[a]! || rel(a) - rel(b) || a - b).map(String);
  const nnOrder = [...ids].sort((a, b) => sims[b]! - sims[a]! || a - b);
  const relevant = new Set(ids.filter((i) => rel(i) === 1).map(String));
  const nn10 = nnOrder.slice(0, 10);
  return {
    ap: averagePrecision(apOrder, relevant),
    pAt10: precisionAtK(nnOrder.map(String), relevant, 10),
    top1: labels[nnOrder[0]!] === q ? 1 : 0,
    knn10: knnVote(nn10.map((i) => labels[i]!), 10) === q ? 1 : 0,
  };
}

describe('DotKernel', () => {
  it.each([[7, 1], [33, 13], [200, 64], [150, 784]])('matches a scalar dot product (%i rows, dim %i, every batch size)', (rows, dim) => {
    const rand = rng(rows * 31 + dim);
    const catalog = randomMatrix(rows, dim, rand, false);
    const kernel = new DotKernel(catalog, dim);
    for (const count of [1, 3, 4, 5, Math.min(kernel.maxBatch, 13)]) {
      const queries = randomMatrix(count, dim, rand, false);
      const sims = kernel.similarities(queries, count);
      expect(sims).toHaveLength(count);
      for (let j = 0; j < count; j++) {
        expect(sims[j]).toHaveLength(rows);
        for (let r = 0; r < rows; r++) expect(sims[j]![r]).toBeCloseTo(naiveDot(queries, j, catalog, r, dim), 4);
      }
    }
  });

  it('rejects a batch larger than maxBatch', () => {
    const kernel = new DotKernel(new Float32Array(8 * 4), 4);
    expect(() => kernel.similarities(new Float32Array(4 * (kernel.maxBatch + 1)), kernel.maxBatch + 1)).toThrow(RangeError);
  });
});

describe('topK', () => {
  it('returns the k best indices, best first, lower index first on ties', () => {
    expect(topK([0.1, 0.9, 0.5, 0.9, 0.3, 0.5], 4)).toEqual([1, 3, 2, 5]);
    expect(topK([0.2, 0.1], 5)).toEqual([0, 1]);
  });
});

describe('scoreQuery', () => {
  it('equals the full-sort reference on random similarities', () => {
    const rand = rng(7);
    for (let t = 0; t < 20; t++) {
      const n = 50 + Math.floor(rand() * 400);
      const sims = Float32Array.from({ length: n }, () => rand());
      const labels = Uint8Array.from({ length: n }, () => Math.floor(rand() * 4));
      const q = Math.floor(rand() * 4);
      const got = scoreQuery(sims, labels, q);
      const want = naiveScores(sims, labels, q);
      expect(got.ap).toBeCloseTo(want.ap, 12);
      expect(got.pAt10).toBeCloseTo(want.pAt10, 12);
      expect(got.top1).toBe(want.top1);
      expect(got.knn10).toBe(want.knn10);
    }
  });

  it('breaks ties against the query (coarse similarities with many ties)', () => {
    const rand = rng(11);
    for (let t = 0; t < 20; t++) {
      const n = 300;
      const sims = Float32Array.from({ length: n }, () => Math.round(rand() * 5) / 5);
      const labels = Uint8Array.from({ length: n }, () => Math.floor(rand() * 3));
      const got = scoreQuery(sims, labels, 1);
      const want = naiveScores(sims, labels, 1);
      expect(got.ap).toBeCloseTo(want.ap, 12);
      expect(got.pAt10).toBeCloseTo(want.pAt10, 12);
      expect(got.knn10).toBe(want.knn10);
    }
  });

  it('a constant extractor scores no better than the base rate', () => {
    const labels = Uint8Array.from({ length: 100 }, (_, i) => i % 4);
    const s = scoreQuery(new Float32Array(100).fill(0.5), labels, 3);
    const R = 25;
    // all 75 non-relevant items rank first: AP = mean over j of j / (75 + j)
    let want = 0;
    for (let j = 1; j <= R; j++) want += j / (75 + j);
    expect(s.ap).toBeCloseTo(want / R, 12);
  });

  it('a perfect ranking scores 1 everywhere; no relevant item scores 0', () => {
    const labels = Uint8Array.from({ length: 40 }, (_, i) => (i < 12 ? 2 : 0));
    const sims = Float32Array.from({ length: 40 }, (_, i) => (i < 12 ? 1 - i / 100 : 0.1));
    expect(scoreQuery(sims, labels, 2)).toEqual({ ap: 1, pAt10: 1, top1: 1, knn10: 1 });
    expect(scoreQuery(sims, labels, 5)).toEqual({ ap: 0, pAt10: 0, top1: 0, knn10: 0 });
  });
});

describe('ExactRanker', () => {
  it('averages per-query scores of a brute-force cosine search', () => {
    const rand = rng(3);
    const dim = 999; // padded to 1000 in the kernel; batches of 64 queries, so evaluate() crosses batches
    const catalog = randomMatrix(300, dim, rand);
    const labels = Uint8Array.from({ length: 300 }, () => Math.floor(rand() * 3));
    const queries = randomMatrix(150, dim, rand);
    const qLabels = Uint8Array.from({ length: 150 }, () => Math.floor(rand() * 3));
    const ranker = new ExactRanker(catalog, dim, labels);
    const progress: number[] = [];
    const totals = ranker.evaluate(queries, qLabels, (d) => progress.push(d));
    expect(totals.queries).toBe(150);
    expect(ranker.batchSize).toBeLessThan(150);
    expect(progress.at(-1)).toBe(150);
    let ap = 0, p10 = 0, top1 = 0, knn = 0;
    for (let j = 0; j < 150; j++) {
      const sims = Array.from({ length: 300 }, (_, r) => naiveDot(queries, j, catalog, r, dim));
      const w = naiveScores(sims, labels, qLabels[j]!);
      ap += w.ap; p10 += w.pAt10; top1 += w.top1; knn += w.knn10;
    }
    const m = metricsOf(totals);
    expect(m.mAP).toBeCloseTo(ap / 150, 5);
    expect(m['P@10']).toBeCloseTo(p10 / 150, 5);
    expect(m.top1).toBeCloseTo(top1 / 150, 5);
    expect(m.knn10).toBeCloseTo(knn / 150, 5);
  });
});
