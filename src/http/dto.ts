import type { Product, ProductImage } from '../domain/product.js';
import type { SearchHit } from '../domain/search.js';
import type { FractionBox } from '../imaging/subject.js';
import type { HitMatch, LookupSearchHit } from '../search/search.service.js';

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

/** Geometric evidence of product lookup: present only when lookup ran for the query. */
export interface MatchDTO {
  /** This exact product (calibrated score ≥ 0.5), not just a similar one. */
  exact: boolean;
  inliers: number;
  /** Share of a flat rectangle's colours in the photo the product's colour layout explains, when it was found that way. */
  layout?: number;
  /** Share of the photo's colours at the placed drawing the product's shape explains, when it was found that way. */
  shape?: number;
  /** Share of a coloured line drawing's strokes on their colour in the photo (less the points beside them), when it was found that way. */
  outline?: number;
  /** Share of the product's edge template the photo shows at its place, when the edges suggested it (listed beside the ranked hits). */
  edges?: number;
  /** Where the product is in the query photo, as fractions (0..1); null when no verified match. */
  box: FractionBox | null;
}

export interface HitDTO extends ProductDTO {
  score: number;
  distance: number;
  matchedImage: ImageDTO;
  match?: MatchDTO;
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

export function toHitDTO(hit: SearchHit | LookupSearchHit): HitDTO {
  const match = 'match' in hit ? hit.match : undefined;
  return {
    ...toProductDTO(hit.product),
    score: round(hit.score),
    distance: round(hit.distance),
    matchedImage: toImageDTO(hit.matchedImage),
    ...(match ? { match: toMatchDTO(match) } : {}),
  };
}

/** Product lookup's evidence for one hit, as the API and `shoplens search --json` give it. */
export function toMatchDTO(match: HitMatch): MatchDTO {
  return {
    exact: match.exact,
    inliers: match.inliers,
    ...(match.layout !== undefined ? { layout: round(match.layout) } : {}),
    ...(match.shape !== undefined ? { shape: round(match.shape) } : {}),
    ...(match.outline !== undefined ? { outline: round(match.outline) } : {}),
    ...(match.edges !== undefined ? { edges: round(match.edges) } : {}),
    box: match.box
      ? { x: round(match.box.x), y: round(match.box.y), width: round(match.box.width), height: round(match.box.height) }
      : null,
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
