import { describe, expect, it } from 'vitest';
import { cosineSimilarity, euclideanDistance } from '../domain/vector.js';
import { averagePrecision, averagePrecisionFromFlags, knnVote, ndcgAtK, percentile, precisionAtK, recallAtK } from './metrics.js';

const rel = (...ids: string[]) => new Set(ids);

describe('metrics (hand-computed cases)', () => {
  const ranked = ['a', 'x', 'b', 'y', 'c'];
  const relevant = rel('a', 'b', 'c', 'd');

  it('recall@k and precision@k', () => {
    expect(recallAtK(ranked, relevant, 1)).toBe(0.25);
    expect(recallAtK(ranked, relevant, 3)).toBe(0.5);
    expect(recallAtK(ranked, relevant, 5)).toBe(0.75);
    expect(precisionAtK(ranked, relevant, 1)).toBe(1);
    expect(precisionAtK(ranked, relevant, 5)).toBeCloseTo(0.6, 12);
    expect(precisionAtK(['a'], relevant, 10)).toBeCloseTo(0.1, 12); // divides by k
    expect(recallAtK(ranked, rel(), 3)).toBe(0);
  });

  it('average precision counts unreached relevant items as misses', () => {
    // hits at ranks 1, 3, 5: (1/1 + 2/3 + 3/5) / 4
    expect(averagePrecision(ranked, relevant)).toBeCloseTo((1 + 2 / 3 + 3 / 5) / 4, 12);
    expect(averagePrecision(['x', 'a'], rel('a'))).toBeCloseTo(0.5, 12);
    expect(averagePrecisionFromFlags([1, 0, 1, 0, 1], 4)).toBeCloseTo((1 + 2 / 3 + 3 / 5) / 4, 12);
  });

  it('nDCG@k with binary relevance', () => {
    // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG(3 relevant in top 3) = 1 + 1/log2(3) + 1/2
    expect(ndcgAtK(ranked, relevant, 3)).toBeCloseTo(1.5 / (1 + 1 / Math.log2(3) + 0.5), 12);
    expect(ndcgAtK(['a'], rel('a'), 10)).toBe(1);
    expect(ndcgAtK(['x', 'a'], rel('a'), 10)).toBeCloseTo(1 / Math.log2(3), 12);
  });

  it('kNN vote: majority, ties to the nearest', () => {
    expect(knnVote(['cat', 'dog', 'dog'], 3)).toBe('dog');
    expect(knnVote(['cat', 'dog', 'dog', 'cat'], 4)).toBe('cat');
    expect(knnVote(['dog', 'cat'], 1)).toBe('dog');
  });

  it('percentiles by nearest rank', () => {
    const v = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 95)).toBe(10);
    expect(percentile([], 50)).toBe(0);
  });

  it("the seed article's cosine example: cos((1,2,3),(4,5,6)) = 32/√(14·77) ≈ 0.9746, not 0.995", () => {
    const c = cosineSimilarity([1, 2, 3], [4, 5, 6]);
    expect(c).toBeCloseTo(32 / Math.sqrt(14 * 77), 12);
    expect(c).toBeCloseTo(0.9746, 4);
    expect(Math.abs(c - 0.995)).toBeGreaterThan(0.01);
    expect(euclideanDistance([1, 2, 3], [4, 5, 6])).toBeCloseTo(Math.sqrt(27), 12);
  });
});
