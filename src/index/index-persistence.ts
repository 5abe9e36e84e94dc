import { mkdir } from 'node:fs/promises';
import type { ExtractorIdentity } from '../features/feature-extractor.js';
import { createVectorIndex, type VectorIndexKind } from './create-index.js';
import { openIndex, saveIndex } from './index-file.js';
import type { IndexPersistence } from './index-sync.js';

/** IndexPersistence for one index directory and kind (the `index/` folder of a data directory). */
export function createIndexPersistence(dir: string, kind: VectorIndexKind, extractor: ExtractorIdentity): IndexPersistence {
  const { dimensions, metric } = extractor;
  return {
    create: () => createVectorIndex(kind, { dimensions, metric }),
    async load(expected) {
      const result = await openIndex(dir, { ...expected, kind });
      return result.index ? { index: result.index } : { index: null, reason: `${result.reason}: ${result.message}` };
    },
    async save(index, meta) {
      await mkdir(dir, { recursive: true });
      await saveIndex(dir, index, meta);
    },
  };
}
