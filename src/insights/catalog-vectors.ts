import type { CatalogStore } from '../catalog/catalog-store.js';
import type { Product, ProductImage } from '../domain/product.js';
import type { Matrix } from './kmeans.js';

/** Every stored image vector as one matrix, with the image and product behind each row. */
export interface CatalogVectors {
  matrix: Matrix;
  images: ProductImage[];
  products: Map<string, Product>;
}

/**
 * Reads all vectors (keyset batches from the store) into one Float32 matrix. With `primaryOnly`,
 * only each product's first image: the unit for classification and duplicates is the product.
 */
export async function loadCatalogVectors(store: CatalogStore, options: { primaryOnly?: boolean } = {}): Promise<CatalogVectors> {
  const chunks: Float32Array[] = [];
  const images: ProductImage[] = [];
  let d = 0;
  for await (const batch of store.iterateVectors(2000)) {
    const meta = await store.getImages(batch.keys);
    batch.keys.forEach((key, i) => {
      const image = meta.get(key);
      const vector = batch.vectors[i]!;
      if (!image || (options.primaryOnly && image.position !== 0)) return;
      d ||= vector.length;
      if (vector.length !== d) return; // cannot happen with one extractor per store; never mix
      images.push(image);
      chunks.push(vector);
    });
  }
  const data = new Float32Array(images.length * d);
  chunks.forEach((v, i) => data.set(v, i * d));
  const products = new Map<string, Product>();
  const ids = [...new Set(images.map((img) => img.productId))];
  for (let i = 0; i < ids.length; i += 1000) {
    for (const p of await store.getProducts(ids.slice(i, i + 1000))) products.set(p.id, p);
  }
  return { matrix: { data, n: images.length, d }, images, products };
}
