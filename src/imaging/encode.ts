import sharp from 'sharp';
import { AppError } from '../domain/errors.js';
import type { GrayImage, RgbImage } from './types.js';

export interface EncodeJpegOptions {
  /** 1..100, default 82. */
  quality?: number;
}

/**
 * Encodes decoded pixels as a metadata-free JPEG. Used by tests, evaluation and benchmarks to
 * simulate re-uploads (re-compressed, resized copies of a catalog image) without touching sharp.
 */
export async function encodeJpeg(image: RgbImage | GrayImage, opts: EncodeJpegOptions = {}): Promise<Buffer> {
  try {
    return await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
      .jpeg({ quality: opts.quality ?? 82 })
      .toBuffer();
  } catch (err: unknown) {
    throw new AppError('INTERNAL_ERROR', 'JPEG encoding failed', { cause: err });
  }
}

/** Encodes decoded pixels as PNG (lossless); for fixtures and test images built from pixels. */
export async function encodePng(image: RgbImage | GrayImage): Promise<Buffer> {
  try {
    return await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
      .png()
      .toBuffer();
  } catch (err: unknown) {
    throw new AppError('INTERNAL_ERROR', 'PNG encoding failed', { cause: err });
  }
}
