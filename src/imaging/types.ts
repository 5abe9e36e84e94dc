/** A decoded image: 8-bit RGB, row-major, no alpha (transparent areas are flattened onto white). */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
  /** Size of the source image after EXIF orientation, when it was downscaled on decode. */
  originalWidth?: number;
  originalHeight?: number;
}

/** Single-channel 8-bit image, row-major. */
export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1;
}

export interface ImageLimits {
  /** Largest accepted width*height, checked from the header before decoding. */
  maxPixels: number;
  /** Largest accepted encoded size in bytes. */
  maxBytes: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxPixels: 40_000_000,
  maxBytes: 25 * 1024 * 1024,
};
