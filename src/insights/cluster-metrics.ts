/**
 * External clustering quality against known classes: normalised mutual information and purity.
 * Used by the Fashion-MNIST bench (cluster.nmi, cluster.purity, cluster.rawNmi) and by tests.
 */

/** Contingency table of two labelings of the same items. */
function contingency(truth: ArrayLike<number>, predicted: ArrayLike<number>): { table: Map<string, number>; a: Map<number, number>; b: Map<number, number>; n: number } {
  if (truth.length !== predicted.length) throw new Error(`label arrays differ in length: ${truth.length} vs ${predicted.length}`);
  const table = new Map<string, number>();
  const a = new Map<number, number>();
  const b = new Map<number, number>();
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    const key = `${t}\u0000${p}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    a.set(t, (a.get(t) ?? 0) + 1);
    b.set(p, (b.get(p) ?? 0) + 1);
  }
  return { table, a, b, n: truth.length };
}

function entropy(counts: Iterable<number>, n: number): number {
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

/**
 * Normalised mutual information, arithmetic normalisation: I(T;P) / ((H(T) + H(P)) / 2), in [0, 1]
 * (scikit-learn's default). 1 when both labelings agree up to renaming; 0 when independent.
 * Two single-cluster labelings count as identical (1), as in scikit-learn.
 */
export function normalizedMutualInformation(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const { table, a, b, n } = contingency(truth, predicted);
  if (n === 0) return 0;
  const ha = entropy(a.values(), n);
  const hb = entropy(b.values(), n);
  if (ha === 0 && hb === 0) return 1;
  let mi = 0;
  for (const [key, nij] of table) {
    const [t, p] = key.split('\u0000').map(Number) as [number, number];
    mi += (nij / n) * Math.log((n * nij) / (a.get(t)! * b.get(p)!));
  }
  const denom = (ha + hb) / 2;
  return denom === 0 ? 0 : Math.max(0, Math.min(1, mi / denom));
}

/** Purity: every cluster votes for its majority class; the share of items in their cluster's majority. */
export function purity(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const { table, n } = contingency(truth, predicted);
  if (n === 0) return 0;
  const best = new Map<number, number>();
  for (const [key, nij] of table) {
    const p = Number(key.split('\u0000')[1]);
    best.set(p, Math.max(best.get(p) ?? 0, nij));
  }
  let s = 0;
  for (const v of best.values()) s += v;
  return s / n;
}
