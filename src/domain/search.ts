import type { Product, ProductImage } from './product.js';

/** Narrowing applied to candidates before they are ranked. All fields are ANDed. */
export interface SearchFilter {
  category?: string[];
  brand?: string[];
  priceMin?: number;
  priceMax?: number;
  /** Attribute equality: every listed attribute must equal the given value. */
  attributes?: Record<string, string>;
}

export interface SearchOptions {
  k: number;
  filter?: SearchFilter;
  /** Products never returned. */
  excludeIds?: string[];
}

/** One product in a result list, with the image of it that matched best. */
export interface SearchHit {
  product: Product;
  /** Similarity in [-1, 1] for cosine (higher is better); for euclidean, 1 / (1 + distance). */
  score: number;
  distance: number;
  matchedImage: ProductImage;
}

export interface SearchResult {
  hits: SearchHit[];
  tookMs: number;
}
