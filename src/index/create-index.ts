import { AppError } from '../domain/errors.js';
import type { VectorIndex, VectorIndexOptions } from './vector-index.js';
import { ExactVectorIndex } from './exact/exact.vector-index.js';
import { HnswVectorIndex, type HnswOpenOptions, type HnswOptions } from './hnsw/hnsw.vector-index.js';
import { UsearchVectorIndex, type UsearchOpenOptions, type UsearchOptions, type UsearchQuantization } from './usearch/usearch.vector-index.js';
import type { VectorIndexKind } from './index-kinds.js';

export { VECTOR_INDEX_KINDS, type VectorIndexKind } from './index-kinds.js';

export interface CreateVectorIndexOptions extends VectorIndexOptions {
  /** Rows/slots allocated up front; 'exact' and 'hnsw' grow past it on their own ('usearch-*' grows by itself). */
  initialCapacity?: number;
  /** Graph parameters, used by 'hnsw' only. */
  hnsw?: Partial<HnswOptions>;
  /** Graph parameters, used by 'usearch-*' only. */
  usearch?: Partial<UsearchOptions>;
}

export interface LoadVectorIndexOptions {
  /** Search-time options for 'hnsw'; the graph shape comes from the file. */
  hnsw?: HnswOpenOptions;
  /** Search-time options for 'usearch-*'; graph shape and quantisation come from the file. */
  usearch?: UsearchOpenOptions;
}

/** The quantisation of a 'usearch-*' kind, or null for other kinds. */
export function usearchQuantization(kind: VectorIndexKind): UsearchQuantization | null {
  return kind.startsWith('usearch-') ? (kind.slice('usearch-'.length) as UsearchQuantization) : null;
}

/** A new, empty index of the given kind. */
export function createVectorIndex(kind: VectorIndexKind, options: CreateVectorIndexOptions): VectorIndex {
  const { dimensions, metric, initialCapacity } = options;
  if (kind === 'exact') return new ExactVectorIndex({ dimensions, metric, ...(initialCapacity === undefined ? {} : { initialCapacity }) });
  const quantization = usearchQuantization(kind);
  if (quantization !== null) return UsearchVectorIndex.create({ dimensions, metric, quantization, usearch: options.usearch ?? {} });
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
  if (kind === 'exact') return ExactVectorIndex.load(path);
  if (usearchQuantization(kind) !== null) {
    const index = await UsearchVectorIndex.open(path, options.usearch ?? {});
    if (index.kind !== kind) {
      throw new AppError('INDEX_CORRUPT', `${path} holds a ${index.kind} index, ${kind} was expected`, { details: { path, kind } });
    }
    return index;
  }
  return HnswVectorIndex.open(path, options.hnsw ?? {});
}
