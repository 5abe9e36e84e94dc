import { AppError } from '../domain/errors.js';
import type { Metric } from '../domain/vector.js';

/**
 * Argument checks shared by every VectorIndex implementation, so that both answer bad input
 * with the same AppError codes (the contract suite pins this).
 */

export const METRICS: readonly Metric[] = ['cosine', 'euclidean'];

export function assertIndexOptions(dimensions: number, metric: Metric): void {
  if (!Number.isInteger(dimensions) || dimensions <= 0) {
    throw new AppError('INVALID_PARAMETER', `dimensions must be a positive integer, got ${dimensions}`, {
      details: { dimensions },
    });
  }
  if (!METRICS.includes(metric)) {
    throw new AppError('INVALID_PARAMETER', `unknown metric "${String(metric)}"`, { details: { metric } });
  }
}

/** Keys are SQLite rowids: non-negative integers that a JS number holds exactly. */
export function assertKey(key: number): void {
  if (!Number.isSafeInteger(key) || key < 0) {
    throw new AppError('INVALID_PARAMETER', `key must be a non-negative safe integer, got ${key}`, {
      details: { key },
    });
  }
}

export function assertVector(v: Float32Array, dimensions: number, what = 'vector'): void {
  if (!(v instanceof Float32Array)) {
    throw new AppError('INVALID_PARAMETER', `${what} must be a Float32Array`);
  }
  if (v.length !== dimensions) {
    throw new AppError('INVALID_PARAMETER', `${what} has ${v.length} dimensions, index expects ${dimensions}`, {
      details: { expected: dimensions, actual: v.length },
    });
  }
  // One NaN poisons every distance it touches (and an HNSW graph built on it), so refuse it early.
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) {
      throw new AppError('INVALID_PARAMETER', `${what} contains a non-finite value at position ${i}`, {
        details: { position: i },
      });
    }
  }
}

export function assertUpsertBatch(keys: readonly number[], vectors: readonly Float32Array[], dimensions: number): void {
  if (keys.length !== vectors.length) {
    throw new AppError('INVALID_PARAMETER', `upsert got ${keys.length} keys but ${vectors.length} vectors`, {
      details: { keys: keys.length, vectors: vectors.length },
    });
  }
  for (let i = 0; i < keys.length; i++) {
    assertKey(keys[i]!);
    assertVector(vectors[i]!, dimensions);
  }
}

export function assertK(k: number): void {
  if (!Number.isInteger(k) || k < 0) {
    throw new AppError('INVALID_PARAMETER', `k must be a non-negative integer, got ${k}`, { details: { k } });
  }
}

/** Distance between a prepared query and a stored row, in the port's convention. */
export function rowDistance(metric: Metric, q: Float32Array, data: Float32Array, offset: number): number {
  const d = q.length;
  if (metric === 'cosine') {
    // Both sides are unit length (or zero), so 1 - dot is the cosine distance.
    let s = 0;
    for (let i = 0; i < d; i++) s += q[i]! * data[offset + i]!;
    return 1 - s;
  }
  let s = 0;
  for (let i = 0; i < d; i++) {
    const t = q[i]! - data[offset + i]!;
    s += t * t;
  }
  return Math.sqrt(s);
}

/**
 * Keeps the k smallest (distance, key) pairs seen so far: a bounded max-heap, so a scan over n
 * rows costs O(n log k) instead of sorting all n. Ties are broken by key for deterministic output.
 */
export class TopK {
  private readonly dist: number[] = [];
  private readonly keys: number[] = [];

  constructor(private readonly k: number) {}

  /** The distance a candidate must beat to enter (Infinity until k items are held). */
  worst(): number {
    return this.dist.length < this.k ? Infinity : this.dist[0]!;
  }

  push(distance: number, key: number): void {
    if (this.k === 0) return;
    if (this.dist.length < this.k) {
      this.dist.push(distance);
      this.keys.push(key);
      this.siftUp(this.dist.length - 1);
    } else if (this.greater(this.dist[0]!, this.keys[0]!, distance, key)) {
      this.dist[0] = distance;
      this.keys[0] = key;
      this.siftDown(0);
    }
  }

  /** Nearest first. */
  result(): { key: number; distance: number }[] {
    const out = this.keys.map((key, i) => ({ key, distance: this.dist[i]! }));
    out.sort((a, b) => a.distance - b.distance || a.key - b.key);
    return out;
  }

  private greater(da: number, ka: number, db: number, kb: number): boolean {
    return da > db || (da === db && ka > kb);
  }

  private swap(i: number, j: number): void {
    const d = this.dist[i]!; this.dist[i] = this.dist[j]!; this.dist[j] = d;
    const k = this.keys[i]!; this.keys[i] = this.keys[j]!; this.keys[j] = k;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.greater(this.dist[i]!, this.keys[i]!, this.dist[p]!, this.keys[p]!)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private siftDown(i: number): void {
    const n = this.dist.length;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < n && this.greater(this.dist[l]!, this.keys[l]!, this.dist[m]!, this.keys[m]!)) m = l;
      if (r < n && this.greater(this.dist[r]!, this.keys[r]!, this.dist[m]!, this.keys[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
