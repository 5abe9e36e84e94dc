import { averagePrecisionFromFlags, knnVote } from '../metrics.js';
import { DotKernel } from './dot-kernel.js';

/** Retrieval and classification figures of one query against a fully ranked catalog. */
export interface QueryScores {
  /** Average precision over ALL catalog items sharing the query's label. */
  ap: number;
  /** Share of the 10 nearest with the query's label. */
  pAt10: number;
  /** 1 when the nearest item has the query's label. */
  top1: number;
  /** 1 when the majority label of the 10 nearest (knnVote) is the query's label. */
  knn10: number;
}

const K = 10;

/**
 * Scores one query from its similarity to every catalog item (higher = nearer).
 *
 * Ranking is exact and total: items are ordered by similarity, and equal similarities are broken
 * against the query — a non-relevant item ties above a relevant one for AP, and among the 10 nearest
 * the lower catalog index comes first. So a degenerate extractor (e.g. constant vectors) scores the
 * base rate, never better.
 *
 * AP does not sort the whole catalog: the relevant similarities are sorted (R of N), every
 * non-relevant one is placed among them by binary search, and a prefix count gives each relevant
 * item its rank; the resulting relevance flags go to averagePrecisionFromFlags.
 */
export function scoreQuery(sims: ArrayLike<number>, catalogLabels: ArrayLike<number>, queryLabel: number): QueryScores {
  const n = sims.length;
  let relevantCount = 0;
  for (let i = 0; i < n; i++) if (catalogLabels[i] === queryLabel) relevantCount++;
  const relevant = new Float64Array(relevantCount);
  for (let i = 0, r = 0; i < n; i++) if (catalogLabels[i] === queryLabel) relevant[r++] = sims[i]!;
  relevant.sort(); // ascending
  // above[p] = non-relevant items whose similarity is ≥ relevant[p - 1] but < relevant[p] (ties: the
  // non-relevant item counts as nearer). A bucket table narrows each binary search to a few items;
  // it is exact because bucketOf is monotone: relevant items in lower buckets are all below s,
  // those in higher buckets all above.
  const above = new Int32Array(relevantCount + 1);
  const buckets = Math.max(1, Math.min(4096, relevantCount));
  const lowest = relevantCount > 0 ? relevant[0]! : 0;
  const span = relevantCount > 0 ? relevant[relevantCount - 1]! - lowest : 0;
  const scale = span > 0 ? buckets / span : 0;
  const bucketOf = (x: number) => {
    const b = Math.floor((x - lowest) * scale);
    return b < 0 ? 0 : b >= buckets ? buckets - 1 : b;
  };
  const firstOf = new Int32Array(buckets + 1); // firstOf[b] = relevant items in buckets < b
  for (let p = 0; p < relevantCount; p++) firstOf[bucketOf(relevant[p]!) + 1]!++;
  for (let b = 0; b < buckets; b++) firstOf[b + 1]! += firstOf[b]!;
  for (let i = 0; i < n; i++) {
    if (catalogLabels[i] === queryLabel) continue;
    const s = sims[i]!;
    const b = bucketOf(s);
    let lo = firstOf[b]!, hi = firstOf[b + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (relevant[mid]! <= s) lo = mid + 1; else hi = mid;
    }
    above[lo]!++;
  }
  // Walk relevant items from the most similar down: its rank = relevant before it + non-relevant at or above it.
  const flags = new Uint8Array(n);
  let nonRelevantAbove = 0;
  for (let p = relevantCount - 1, j = 0; p >= 0; p--, j++) {
    nonRelevantAbove += above[p + 1]!;
    flags[j + nonRelevantAbove] = 1;
  }
  const ap = averagePrecisionFromFlags(flags, relevantCount);

  const nearest = topK(sims, Math.min(K, n));
  const labels = nearest.map((i) => catalogLabels[i]!);
  const hits = labels.filter((l) => l === queryLabel).length;
  return {
    ap,
    pAt10: hits / K,
    top1: labels[0] === queryLabel ? 1 : 0,
    knn10: knnVote(labels, K) === queryLabel ? 1 : 0,
  };
}

/** Indices of the k highest values, best first (ties: lower index first). */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (idx.length === k && v <= val[k - 1]!) continue;
    let p = idx.length === k ? k - 1 : idx.length;
    while (p > 0 && val[p - 1]! < v) {
      if (p < k) { val[p] = val[p - 1]!; idx[p] = idx[p - 1]!; }
      p--;
    }
    val[p] = v;
    idx[p] = i;
  }
  return idx;
}

export interface RetrievalTotals {
  queries: number;
  sumAp: number;
  sumPAt10: number;
  sumTop1: number;
  sumKnn10: number;
}

export function emptyTotals(): RetrievalTotals {
  return { queries: 0, sumAp: 0, sumPAt10: 0, sumTop1: 0, sumKnn10: 0 };
}

export function addScores(t: RetrievalTotals, s: QueryScores): void {
  t.queries++;
  t.sumAp += s.ap;
  t.sumPAt10 += s.pAt10;
  t.sumTop1 += s.top1;
  t.sumKnn10 += s.knn10;
}

export function mergeTotals(a: RetrievalTotals, b: RetrievalTotals): RetrievalTotals {
  return {
    queries: a.queries + b.queries,
    sumAp: a.sumAp + b.sumAp,
    sumPAt10: a.sumPAt10 + b.sumPAt10,
    sumTop1: a.sumTop1 + b.sumTop1,
    sumKnn10: a.sumKnn10 + b.sumKnn10,
  };
}

/** The figures a bench row reports: means over queries. */
export interface RetrievalMetrics {
  mAP: number;
  'P@10': number;
  top1: number;
  knn10: number;
}

export function metricsOf(t: RetrievalTotals): RetrievalMetrics {
  const q = Math.max(1, t.queries);
  return { mAP: t.sumAp / q, 'P@10': t.sumPAt10 / q, top1: t.sumTop1 / q, knn10: t.sumKnn10 / q };
}

/**
 * Exact (brute-force) evaluation of queries against a catalog, both L2-normalised rows of `dim`
 * floats, cosine similarity: every query is compared with every catalog item. Single-threaded;
 * the bench splits queries across worker threads and merges the totals.
 */
export class ExactRanker {
  private readonly kernel: DotKernel;

  constructor(catalog: Float32Array, dim: number, private readonly catalogLabels: Uint8Array) {
    this.kernel = new DotKernel(catalog, dim);
    if (catalogLabels.length !== this.kernel.rows) throw new RangeError(`${this.kernel.rows} catalog rows but ${catalogLabels.length} labels`);
  }

  get batchSize(): number {
    return this.kernel.maxBatch;
  }

  /** Scores `labels.length` queries (≤ batchSize), given as rows of `dim` floats. */
  scoreBatch(queries: Float32Array, labels: ArrayLike<number>): QueryScores[] {
    const sims = this.kernel.similarities(queries, labels.length);
    return sims.map((s, j) => scoreQuery(s, this.catalogLabels, labels[j]!));
  }

  /** Scores every query, calling onProgress(done) after each batch. */
  evaluate(queries: Float32Array, labels: ArrayLike<number>, onProgress?: (done: number) => void): RetrievalTotals {
    const totals = emptyTotals();
    const dim = this.kernel.dim;
    for (let start = 0; start < labels.length; start += this.batchSize) {
      const end = Math.min(labels.length, start + this.batchSize);
      const batchLabels = Array.from({ length: end - start }, (_, j) => labels[start + j]!);
      for (const s of this.scoreBatch(queries.subarray(start * dim, end * dim), batchLabels)) addScores(totals, s);
      onProgress?.(end);
    }
    return totals;
  }
}
