import type { CatalogStore } from '../../catalog/catalog-store.js';
import type { ExtractorIdentity } from '../feature-extractor.js';
import { fitProjection, type LabelledVectors, type TrainingOptions, type TrainingProgress, type TrainingResult } from './projection.js';
import { saveProjection, type TrainedManifest } from './projection-file.js';

/** The store's vectors labelled by their product's category (no category = unlabelled). */
export async function catalogTrainingSet(store: CatalogStore): Promise<{ data: LabelledVectors; categories: string[]; products: number }> {
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  const categoryIndex = new Map<string, number>();
  const productCategory = new Map<string, string | null>();
  let dimensions = 0;
  for await (const batch of store.iterateVectors(4096)) {
    const images = await store.getImages(batch.keys);
    const unknown = [...new Set([...images.values()].map((i) => i.productId).filter((id) => !productCategory.has(id)))];
    for (const p of await store.getProducts(unknown)) productCategory.set(p.id, p.category);
    batch.keys.forEach((key, i) => {
      const vector = batch.vectors[i]!;
      dimensions ||= vector.length;
      if (vector.length !== dimensions) return;
      const productId = images.get(key)?.productId;
      const category = productId === undefined ? null : productCategory.get(productId) ?? null;
      let label = -1;
      if (category !== null && category !== '') {
        if (!categoryIndex.has(category)) categoryIndex.set(category, categoryIndex.size);
        label = categoryIndex.get(category)!;
      }
      chunks.push(vector);
      labels.push(label);
    });
  }
  const vectors = new Float32Array(chunks.length * dimensions);
  chunks.forEach((v, i) => vectors.set(v, i * dimensions));
  return {
    data: { vectors, count: chunks.length, dimensions: Math.max(dimensions, 1), labels: Int32Array.from(labels), classes: categoryIndex.size },
    categories: [...categoryIndex.keys()],
    products: productCategory.size,
  };
}

export interface CatalogTrainingReport {
  manifest: TrainedManifest;
  result: TrainingResult;
  /** Peak resident memory of this process (MB) when training ended. */
  peakMemoryMb: number;
}

/**
 * `shoplens train`: learns a projection of the stored base vectors from the catalog's categories
 * and saves it under <dataDir>/trained. The next openShoplens picks it up (new extractor identity),
 * which rebuilds the index from the store with the projection applied.
 */
export async function trainCatalogProjection(
  dataDir: string, store: CatalogStore, base: ExtractorIdentity, options: TrainingOptions = {}, onProgress?: (p: TrainingProgress) => void,
): Promise<CatalogTrainingReport> {
  const { data, categories } = await catalogTrainingSet(store);
  const result = await fitProjection(data, options, onProgress);
  const peakMemoryMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const o = result.options;
  const manifest = await saveProjection(dataDir, result.model, {
    base,
    categories: categories.filter((_, i) => data.labels.filter((l) => l === i).length >= o.minPerClass),
    examples: result.examples,
    training: {
      recipe: 'PCA-whitening + MLP, cosine-softmax with additive margin (CosFace), Adam with cosine decay',
      pcaComponents: result.model.pcaComponents, hidden: o.hidden, outputDimensions: o.outputDimensions, epochs: o.epochs,
      batchSize: o.batchSize, learningRate: o.learningRate, scale: o.scale, margin: o.margin, dropout: o.dropout, seed: o.seed,
      classes: result.classes, seconds: Math.round(result.seconds * 10) / 10, finalLoss: result.finalLoss, peakMemoryMb,
    },
  });
  return { manifest, result, peakMemoryMb };
}
