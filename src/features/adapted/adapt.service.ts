import type { CatalogStore } from '../../catalog/catalog-store.js';
import type { ExtractorIdentity } from '../feature-extractor.js';
import type { RowVectors } from '../tfjs/whitening.js';
import { fitAdaptation, type AdaptationOptions, type AdaptationProgress, type AdaptationResult } from './adaptation.js';
import { saveAdaptation, type AdaptedManifest } from './adaptation-file.js';

/** Every stored (base) vector of the catalog, row-major; vectors of another length are skipped. */
export async function catalogVectors(store: CatalogStore): Promise<RowVectors> {
  const chunks: Float32Array[] = [];
  let dimensions = 0;
  for await (const batch of store.iterateVectors(4096)) {
    for (const vector of batch.vectors) {
      dimensions ||= vector.length;
      if (vector.length === dimensions) chunks.push(vector);
    }
  }
  const vectors = new Float32Array(chunks.length * dimensions);
  chunks.forEach((v, i) => vectors.set(v, i * dimensions));
  return { vectors, count: chunks.length, dimensions: Math.max(dimensions, 1) };
}

export interface CatalogAdaptationReport {
  manifest: AdaptedManifest;
  result: AdaptationResult;
  /** Peak resident memory of this process (MB) when fitting ended. */
  peakMemoryMb: number;
}

/**
 * `shoplens adapt`: fits the label-free adaptation on the stored base vectors and saves it under
 * <dataDir>/adapted. The next openShoplens picks it up (new extractor identity), which rebuilds the
 * index from the store with the adaptation applied.
 */
export async function adaptToCatalog(
  dataDir: string, store: CatalogStore, base: ExtractorIdentity, options: AdaptationOptions = {}, onProgress?: (p: AdaptationProgress) => void,
): Promise<CatalogAdaptationReport> {
  const data = await catalogVectors(store);
  const result = await fitAdaptation(data, options, onProgress);
  const peakMemoryMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const o = result.options;
  const manifest = await saveAdaptation(dataDir, result.model, {
    base,
    examples: result.examples,
    fitting: {
      recipe: 'partial PCA whitening, feature diffusion over the mutual kNN graph, diffused anchors',
      components: result.model.pcaComponents, power: o.power, neighbours: o.neighbours, gamma: o.gamma, alpha: o.alpha,
      iterations: o.iterations, anchors: result.model.anchorCount, seeds: result.model.seeds, ownWeight: o.ownWeight, seed: o.seed,
      edges: result.edges, seconds: Math.round(result.seconds * 10) / 10, peakMemoryMb,
    },
  });
  return { manifest, result, peakMemoryMb };
}
