import type { CatalogStore } from '../catalog/catalog-store.js';
import type { ProjectedExtractor } from './projected.extractor.js';

/**
 * The catalog store as search sees it under a catalog-fitted map (trained projection, adaptation): a product's stored (base)
 * vectors come back projected, so "similar items", "not like this" and re-scoring compare vectors
 * in the same space as the index and the query. Every other method is the store's own; writes
 * are never projected (the store keeps base vectors).
 */
export function withProjectedVectors(store: CatalogStore, extractor: ProjectedExtractor): CatalogStore {
  const getProductVectors: CatalogStore['getProductVectors'] = async (productId) => {
    const rows = await store.getProductVectors(productId);
    const projected = await extractor.projectAll(rows.map((r) => r.vector));
    return rows.map((r, i) => ({ key: r.key, vector: projected[i]! }));
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'getProductVectors') return getProductVectors;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
