import type { Product, ProductImage } from '../domain/product.js';
import type { SearchHit } from '../domain/search.js';

export interface ImageDTO {
  key: number;
  url: string;
  width: number;
  height: number;
}

export interface ProductDTO {
  id: string;
  title: string;
  brand: string | null;
  category: string | null;
  price: number | null;
  currency: string | null;
  attributes: Record<string, string>;
  images: ImageDTO[];
}

export interface HitDTO extends ProductDTO {
  score: number;
  distance: number;
  matchedImage: ImageDTO;
}

export function mediaUrl(sha256: string): string {
  return `/media/${sha256}.jpg`;
}

export function toImageDTO(image: ProductImage): ImageDTO {
  return { key: image.key, url: mediaUrl(image.sha256), width: image.width, height: image.height };
}

export function toProductDTO(p: Product): ProductDTO {
  return {
    id: p.id, title: p.title, brand: p.brand, category: p.category, price: p.price, currency: p.currency,
    attributes: p.attributes, images: p.images.map(toImageDTO),
  };
}

export function toHitDTO(hit: SearchHit): HitDTO {
  return {
    ...toProductDTO(hit.product),
    score: round(hit.score),
    distance: round(hit.distance),
    matchedImage: toImageDTO(hit.matchedImage),
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
