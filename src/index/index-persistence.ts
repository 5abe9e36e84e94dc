import { mkdir } from 'node:fs/promises';
import type { ExtractorIdentity } from '../features/feature-extractor.js';
import { createVectorIndex, type VectorIndexKind } from './create-index.js';
import { openIndex, saveIndex } from './index-file.js';
import type { IndexPersistence } from './index-sync.js';
import { RerankedVectorIndex, type RerankOptions, type VectorSource } from './reranked.vector-index.js';
import type { VectorIndex } from './vector-index.js';

export interface IndexPersistenceOptions {
  /**
   * Exact float32 vectors by key (the catalog store's), used to re-rank the candidates of a
   * 'usearch-i8' index: without it i8 loses recall (bench/ann/scale-usearch.bench.ts). Must give
   * vectors in the index's space (not base vectors under a trained projection).
   */
  rerankSource?: VectorSource;
  rerank?: Partial<RerankOptions>;
}

/** IndexPersistence for one index directory and kind (the `index/` folder of a data directory). */
export function createIndexPersistence(
  dir: string,
  kind: VectorIndexKind,
  extractor: ExtractorIdentity,
  options: IndexPersistenceOptions = {},
): IndexPersistence {
  const { dimensions, metric } = extractor;
  const { rerankSource } = options;
  // Only the index in memory is wrapped; the file is the inner index's (the decorator has no state).
  const wrap = (index: VectorIndex): VectorIndex =>
    kind === 'usearch-i8' && rerankSource ? new RerankedVectorIndex(index, rerankSource, options.rerank) : index;
  return {
    create: () => wrap(createVectorIndex(kind, { dimensions, metric })),
    async load(expected) {
      const result = await openIndex(dir, { ...expected, kind });
      return result.index ? { index: wrap(result.index) } : { index: null, reason: `${result.reason}: ${result.message}` };
    },
    async save(index, meta) {
      await mkdir(dir, { recursive: true });
      await saveIndex(dir, index, meta);
    },
  };
}
