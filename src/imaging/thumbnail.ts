import type { ImageLimits } from './types.js';
import { decodeFailure, openValidated } from './decode.js';

export const DISPLAY_MAX_SIDE = 512;
export const DISPLAY_JPEG_QUALITY = 82;

export interface DisplayImage {
  jpeg: Buffer;
  width: number;
  height: number;
}

/**
 * The stored copy served to the UI: JPEG, longest side ≤ 512, orientation baked in, alpha on white.
 * sharp writes no metadata unless asked, so EXIF (camera, GPS) and ICC profiles are dropped; the
 * pixels are converted to sRGB first so dropping the profile does not shift colours.
 */
export async function makeDisplayImage(bytes: Buffer, limits?: Partial<ImageLimits>): Promise<DisplayImage> {
  const { header, pipeline } = await openValidated(bytes, limits);
  try {
    const { data, info } = await pipeline
      .resize(DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: DISPLAY_JPEG_QUALITY, chromaSubsampling: '4:2:0' })
      .toBuffer({ resolveWithObject: true });
    return { jpeg: data, width: info.width, height: info.height };
  } catch (err: unknown) {
    throw decodeFailure(err, header.format);
  }
}
