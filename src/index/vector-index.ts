import type { Metric } from '../domain/vector.js';

export interface Neighbor {
  key: number;
  /** cosine: 1 - cosine similarity; euclidean: L2 distance. Ascending = better. */
  distance: number;
}

export interface VectorIndexOptions {
  dimensions: number;
  metric: Metric;
}

/**
 * Port: a set of (key, vector) pairs answering k-nearest-neighbour queries.
 * Implementations: exact/ (brute force, the reference) and hnsw/ (approximate, embedded).
 * An index is a derived structure: the catalog store holds the truth and can rebuild it.
 */
export interface VectorIndex {
  readonly kind: string;
  readonly dimensions: number;
  readonly metric: Metric;
  /** Adds vectors; a key already present is replaced. */
  upsert(keys: readonly number[], vectors: readonly Float32Array[]): void;
  /** Removes keys; unknown keys are ignored. */
  remove(keys: readonly number[]): void;
  has(key: number): boolean;
  size(): number;
  /**
   * Up to k nearest neighbours of `query`, nearest first. When `filter` is given, only keys
   * for which it returns true are returned, and the index still tries to return k of them.
   */
  search(query: Float32Array, k: number, filter?: (key: number) => boolean): Neighbor[];
  /** Writes the index to `path` (a file), atomically (write to temp, then rename). */
  save(path: string): Promise<void>;
}
