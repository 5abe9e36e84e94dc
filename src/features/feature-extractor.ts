import type { Metric } from '../domain/vector.js';
import type { RgbImage } from '../imaging/types.js';

/**
 * Who made a vector. Stored with every index and in the catalog store; vectors from
 * extractors whose identity differs in any field are never mixed.
 */
export interface ExtractorIdentity {
  name: string;
  version: string;
  dimensions: number;
  metric: Metric;
  /** Human-readable description of the preprocessing, part of the identity. */
  preprocessing: string;
}

export function identityKey(id: ExtractorIdentity): string {
  return `${id.name}@${id.version}/${id.dimensions}/${id.metric}/${id.preprocessing}`;
}

/** Port: turns a decoded image into one fixed-length vector (L2-normalised for cosine). */
export interface FeatureExtractor {
  readonly identity: ExtractorIdentity;
  /**
   * Longest side a large query image needs to be decoded to for this extractor: a larger decode
   * changes its vector only negligibly (cosine ≥ 0.999 to the catalog's 512 px path) and costs more
   * to decode and to shrink. Absent: queries are decoded like catalog images.
   */
  readonly queryDecodeSide?: number;
  /** Vector for one image; length === identity.dimensions. */
  extract(image: RgbImage): Promise<Float32Array>;
}
