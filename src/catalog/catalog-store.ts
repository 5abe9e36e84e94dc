import type { Product, ProductImage } from '../domain/product.js';
import type { SearchFilter } from '../domain/search.js';

/** One image of a product, analysed and ready to store. */
export interface ImageWrite {
  source: string;
  sha256: string;
  width: number;
  height: number;
  /** Feature vector from the store's extractor (see CatalogStore.extractorKey). */
  vector: Float32Array;
}

/** A product with all its analysed images: stored entirely or not at all. */
export interface ProductWrite {
  id: string;
  title: string;
  brand: string | null;
  category: string | null;
  price: number | null;
  currency: string | null;
  attributes: Record<string, string>;
  images: ImageWrite[];
  /** Hash of every field and image content hash; equal fingerprint = unchanged product. */
  fingerprint: string;
}

export interface WriteResult {
  /** Per product id: whether it was created or updated. */
  created: string[];
  updated: string[];
  /** Index keys whose vectors were added (new images) and removed (images replaced or gone). */
  addedKeys: number[];
  removedKeys: number[];
}

export interface ListOptions {
  offset?: number;
  limit?: number;
  filter?: SearchFilter;
  /** Case-insensitive substring over id, title and brand. */
  query?: string;
}

export interface CatalogStats {
  products: number;
  images: number;
  categories: { name: string; count: number }[];
  brands: { name: string; count: number }[];
  priceMin: number | null;
  priceMax: number | null;
}

/**
 * Port: the single source of truth for products, images and feature vectors.
 * Implementations: sqlite/ (embedded default); postgres/ later. Async so a networked store fits.
 */
export interface CatalogStore {
  /** Writes a batch in one transaction: after it resolves, every product in it is stored with all its images. */
  writeProducts(products: ProductWrite[]): Promise<WriteResult>;
  /** Stored fingerprints for these ids (missing ids are absent from the map). */
  getFingerprints(ids: string[]): Promise<Map<string, string>>;
  /** A stored vector for identical image bytes, so unchanged images are not analysed twice. */
  findVectorBySha(sha256: string): Promise<{ vector: Float32Array; width: number; height: number } | null>;
  getProduct(id: string): Promise<Product | null>;
  /** Products in the order of `ids`; unknown ids are skipped. */
  getProducts(ids: string[]): Promise<Product[]>;
  listProducts(options: ListOptions): Promise<{ items: Product[]; total: number }>;
  allProductIds(): Promise<string[]>;
  /** Deletes products with their images and vectors; returns what was deleted. */
  deleteProducts(ids: string[]): Promise<{ deleted: string[]; removedKeys: number[] }>;
  /** Images (with their product id) for index keys; unknown keys are absent. */
  getImages(keys: number[]): Promise<Map<number, ProductImage>>;
  getImage(key: number): Promise<ProductImage | null>;
  /** Vectors of a product's images, in position order. */
  getProductVectors(productId: string): Promise<{ key: number; vector: Float32Array }[]>;
  /** Keys of images whose product passes the filter. */
  filterKeys(filter: SearchFilter): Promise<Set<number>>;
  /** All stored (key, vector) pairs, in batches, for (re)building an index. */
  iterateVectors(batchSize?: number): AsyncIterable<{ keys: number[]; vectors: Float32Array[] }>;
  /** Monotonic counter bumped by every committed write or delete (index high-water mark). */
  getVersion(): Promise<number>;
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  stats(): Promise<CatalogStats>;
  close(): Promise<void>;
}
