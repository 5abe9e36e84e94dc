/**
 * Retrieval and classification metrics shared by `shoplens eval`, the benchmarks and the tests.
 * `ranked` is a result list (best first); `relevant` the set of ids that count as correct.
 */

/** Share of all relevant items found in the top k. 0 when nothing is relevant. */
export function recallAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  for (const id of ranked.slice(0, k)) if (relevant.has(id)) hits++;
  return hits / relevant.size;
}

/** Share of the top k that is relevant (divides by k even when fewer results came back). */
export function precisionAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  let hits = 0;
  for (const id of ranked.slice(0, k)) if (relevant.has(id)) hits++;
  return hits / k;
}

/**
 * Average precision: mean of precision@i over the ranks i where a relevant item appears, divided by
 * the number of relevant items (`totalRelevant`, default relevant.size), so relevant items the
 * ranking never reaches count as misses. Over a full ranking this is AP over all relevant items.
 */
export function averagePrecision(ranked: readonly string[], relevant: ReadonlySet<string>, totalRelevant = relevant.size): number {
  if (totalRelevant === 0) return 0;
  let hits = 0;
  let sum = 0;
  ranked.forEach((id, i) => {
    if (relevant.has(id)) {
      hits++;
      sum += hits / (i + 1);
    }
  });
  return sum / totalRelevant;
}

/** Same as averagePrecision, for a ranking given as booleans (relevant or not), as benchmarks produce. */
export function averagePrecisionFromFlags(flags: ArrayLike<boolean | number>, totalRelevant: number): number {
  if (totalRelevant === 0) return 0;
  let hits = 0;
  let sum = 0;
  for (let i = 0; i < flags.length; i++) {
    if (flags[i]) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return sum / totalRelevant;
}

/** Binary-relevance nDCG@k: DCG = Σ rel_i / log2(i + 1), normalised by the ideal ranking. */
export function ndcgAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  if (relevant.size === 0) return 0;
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    if (relevant.has(id)) dcg += 1 / Math.log2(i + 2);
  });
  let idcg = 0;
  for (let i = 0; i < Math.min(relevant.size, k); i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}

/**
 * k-nearest-neighbour vote: the label most frequent among the first k neighbour labels; a tie goes
 * to the tied label whose first occurrence is nearest.
 */
export function knnVote<L>(neighbourLabels: readonly L[], k: number): L | undefined {
  const counts = new Map<L, number>();
  const firstSeen = new Map<L, number>();
  neighbourLabels.slice(0, k).forEach((label, i) => {
    counts.set(label, (counts.get(label) ?? 0) + 1);
    if (!firstSeen.has(label)) firstSeen.set(label, i);
  });
  let best: L | undefined;
  for (const [label, count] of counts) {
    if (best === undefined) { best = label; continue; }
    const bc = counts.get(best)!;
    if (count > bc || (count === bc && firstSeen.get(label)! < firstSeen.get(best)!)) best = label;
  }
  return best;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}
