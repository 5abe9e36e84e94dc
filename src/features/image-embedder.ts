import { decodeImage } from '../imaging/index.js';
import type { ImageLimits, RgbImage } from '../imaging/types.js';
import type { FeatureExtractor } from './feature-extractor.js';

export interface Embedding {
  vector: Float32Array;
  /** The decoded image the vector was computed from (oriented, no alpha, longest side ≤ ANALYSIS_MAX_SIDE). */
  image: RgbImage;
  /** Size of the decoded image (after EXIF orientation), before any downscaling. */
  width: number;
  height: number;
}

/** Longest side images are downscaled to before extraction: features never need more. */
export const ANALYSIS_MAX_SIDE = 512;

/** Decodes encoded image bytes (with all safety limits) and runs the extractor: the one path from bytes to vector. */
export async function embedImage(bytes: Buffer, extractor: FeatureExtractor, limits: ImageLimits): Promise<Embedding> {
  const image = await decodeImage(bytes, limits, { maxSide: ANALYSIS_MAX_SIDE });
  const vector = await extractor.extract(image);
  return { vector, image, width: image.originalWidth ?? image.width, height: image.originalHeight ?? image.height };
}
