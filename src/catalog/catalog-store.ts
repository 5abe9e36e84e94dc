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

/** Stored local features of one image content (see features/local: encodeLocalFeatures). */
export interface LocalFeatureRow {
  sha256: string;
  features: Buffer;
  /** Visual words (uint32 LE per keypoint) under `vocabulary`, or null when not quantised yet. */
  words: Buffer | null;
  vocabulary: string | null;
}

/** An image's place in the last clustering run: its cluster and its position on the 2-D map. */
export interface ImageClusterRow {
  key: number;
  cluster: number;
  x: number;
  y: number;
}

/** Duplicate-detection hashes of one image content (see insights/image-hash.ts). */
export interface ImageHashRow {
  sha256: string;
  /** sha256 of the decoded display pixels: equal pixels, whatever the file encoding. */
  pixelHash: string;
  /** 64-bit perceptual (DCT) hash, 16 hex digits. */
  phash: string;
}

/** One anonymous search: no image, no address, only what it matched. */
export interface SearchLogEntry {
  /** ISO time of the search. */
  at: string;
  kind: 'image' | 'url' | 'product';
  /** Category of the top hit (null when it has none or nothing matched). */
  category: string | null;
  /** Cluster of the top hit's image in the last clustering run (null when not clustered). */
  cluster: number | null;
  topIds: string[];
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
  /** Stores local features per image content (upsert; clears stale words). Not versioned: derived data. */
  putLocalFeatures(rows: { sha256: string; features: Buffer }[]): Promise<void>;
  /** Which of these image contents already have local features. */
  hasLocalFeatures(sha256s: string[]): Promise<Set<string>>;
  /** Local features of the images with these index keys (keys without features are absent). */
  getLocalFeatures(keys: number[]): Promise<Map<number, LocalFeatureRow>>;
  /** All local feature rows of images still in the catalog, in batches (vocabulary training, re-quantising). */
  iterateLocalFeatures(batchSize?: number): AsyncIterable<LocalFeatureRow[]>;
  /** Stores visual words computed with `vocabulary`. */
  setLocalWords(rows: { sha256: string; words: Buffer }[], vocabulary: string): Promise<void>;
  /** (image key, words, encoded features) of every catalog image quantised with `vocabulary`, in batches (inverted file build). */
  iterateLocalWords(vocabulary: string, batchSize?: number): AsyncIterable<{ key: number; words: Buffer; features: Buffer }[]>;
  /** Replaces every stored cluster assignment with these (one clustering run). Not versioned: derived data. */
  replaceImageClusters(rows: ImageClusterRow[]): Promise<void>;
  /** Cluster assignments of these image keys, or of every clustered image when `keys` is omitted. */
  getImageClusters(keys?: number[]): Promise<Map<number, ImageClusterRow>>;
  /** Stores duplicate-detection hashes per image content (upsert). */
  putImageHashes(rows: ImageHashRow[]): Promise<void>;
  /** Stored hashes for these image contents (missing ones are absent). */
  getImageHashes(sha256s: string[]): Promise<Map<string, ImageHashRow>>;
  /** Appends one entry to the anonymous search log. */
  appendSearchLog(entry: SearchLogEntry): Promise<void>;
  /** Log entries with from ≤ at < to (ISO times; either bound optional), oldest first. */
  readSearchLog(range?: { from?: string; to?: string }): Promise<SearchLogEntry[]>;
  /** Deletes entries older than `before` (ISO time); returns how many. */
  pruneSearchLog(before: string): Promise<number>;
  close(): Promise<void>;
}
