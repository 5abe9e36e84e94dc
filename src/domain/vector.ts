/** Similarity measures available to extractors and indexes. */
export type Metric = 'cosine' | 'euclidean';

/** L2-normalises in place; returns the input. A zero vector stays zero. */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i]! *= inv;
  }
  return v;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Cosine similarity; 0 when either vector is zero. */
export function cosineSimilarity(a: Float32Array | number[], b: Float32Array | number[]): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    ab += x * y; aa += x * x; bb += y * y;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

export function euclideanDistance(a: Float32Array | number[], b: Float32Array | number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i]! - b[i]!; s += d * d; }
  return Math.sqrt(s);
}

/** Turns a distance in a given metric into a "higher is better" score for display. */
export function distanceToScore(metric: Metric, distance: number): number {
  // Clamped: float32 rounding can put 1 - distance a hair outside [-1, 1].
  return metric === 'cosine' ? Math.min(1, Math.max(-1, 1 - distance)) : 1 / (1 + distance);
}
