/**
 * The index kinds shoplens can build (SHOPLENS_INDEX). Kept apart from create-index.ts so that
 * config validation does not load the native index libraries.
 *   exact        brute force, the reference
 *   hnsw         hnswlib, float32 (default)
 *   usearch-f32  usearch HNSW, float32
 *   usearch-f16  usearch HNSW, half-precision vectors (half the vector memory)
 *   usearch-i8   usearch HNSW, 8-bit vectors (a quarter), candidates re-ranked with the store's float32 vectors
 */
export const VECTOR_INDEX_KINDS = ['exact', 'hnsw', 'usearch-f32', 'usearch-f16', 'usearch-i8'] as const;
export type VectorIndexKind = (typeof VECTOR_INDEX_KINDS)[number];
