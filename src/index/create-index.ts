import type { VectorIndex, VectorIndexOptions } from './vector-index.js';
import { ExactVectorIndex } from './exact/exact.vector-index.js';
import { HnswVectorIndex, type HnswOpenOptions, type HnswOptions } from './hnsw/hnsw.vector-index.js';

export type VectorIndexKind = 'exact' | 'hnsw';
export const VECTOR_INDEX_KINDS: readonly VectorIndexKind[] = ['exact', 'hnsw'];

export interface CreateVectorIndexOptions extends VectorIndexOptions {
  /** Rows/slots allocated up front; both kinds grow past it on their own. */
  initialCapacity?: number;
  /** Graph parameters, used by 'hnsw' only. */
  hnsw?: Partial<HnswOptions>;
}

export interface LoadVectorIndexOptions {
  /** Search-time options for 'hnsw'; the graph shape comes from the file. */
  hnsw?: HnswOpenOptions;
}

/** A new, empty index of the given kind. */
export function createVectorIndex(kind: VectorIndexKind, options: CreateVectorIndexOptions): VectorIndex {
  const { dimensions, metric, initialCapacity } = options;
  if (kind === 'exact') return new ExactVectorIndex({ dimensions, metric, ...(initialCapacity === undefined ? {} : { initialCapacity }) });
  return HnswVectorIndex.create({
    dimensions,
    metric,
    hnsw: { ...options.hnsw, ...(initialCapacity === undefined ? {} : { initialCapacity }) },
  });
}

/** Reads an index file written by `save()`; AppError INDEX_CORRUPT when the file is not valid. */
export async function loadVectorIndex(
  kind: VectorIndexKind,
  path: string,
  options: LoadVectorIndexOptions = {},
): Promise<VectorIndex> {
  return kind === 'exact' ? ExactVectorIndex.load(path) : HnswVectorIndex.open(path, options.hnsw ?? {});
}
