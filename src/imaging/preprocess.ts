import sharp, { type Sharp } from 'sharp';
import { AppError } from '../domain/errors.js';
import type { GrayImage, RgbImage } from './types.js';

/**
 * Small composable operations on decoded images. Each returns a new image and never mutates its
 * input. Ops that sharp implements (resampling, median, CLAHE) go through sharp; the trivial ones
 * (luma, channel replication) are plain loops, which are faster than a round-trip to libvips.
 */
export type AnyImage = RgbImage | GrayImage;

/**
 * fill: stretch to exactly w×h; contain: keep aspect ratio, pad with white to exactly w×h;
 * cover: keep aspect ratio, crop the centre to exactly w×h; inside: keep aspect ratio, fit within w×h.
 */
export type ResizeFit = 'fill' | 'contain' | 'cover' | 'inside';

const WHITE = { r: 255, g: 255, b: 255 };

function input(img: AnyImage): Sharp {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
}

async function output<T extends AnyImage>(pipeline: Sharp, like: T, op: string): Promise<T> {
  try {
    // sharp turns single-band input into sRGB on output unless told to stay grey.
    if (like.channels === 1) pipeline.toColourspace('b-w');
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== like.channels) {
      throw new Error(`${op}: expected ${like.channels} channels, got ${info.channels}`);
    }
    return { data, width: info.width, height: info.height, channels: like.channels } as T;
  } catch (err: unknown) {
    throw new AppError('INTERNAL_ERROR', `Image operation ${op} failed`, { cause: err });
  }
}

/** Resamples to w×h (see ResizeFit). Downscaling averages (no aliasing); upscaling interpolates. */
export async function resize<T extends AnyImage>(img: T, width: number, height: number, fit: ResizeFit = 'fill'): Promise<T> {
  if (img.width === width && img.height === height) return copy(img);
  return output(
    input(img).resize(width, height, { fit, background: WHITE, kernel: 'lanczos3' }),
    img,
    'resize',
  );
}

/** Square side×side; aspect ratio kept and the rest padded with white (the usual product background). */
export function normalizeSize<T extends AnyImage>(img: T, side: number): Promise<T> {
  return resize(img, side, side, 'contain');
}

/** ITU-R BT.601 luma, Y = 0.299 R + 0.587 G + 0.114 B, rounded (the classic JPEG/OpenCV grey). */
export function toGray(img: AnyImage): GrayImage {
  if (img.channels === 1) return copy(img);
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    // Fixed-point weights (sum 65536) keep this exact and fast.
    out[i] = (19595 * d[j]! + 38470 * d[j + 1]! + 7471 * d[j + 2]! + 32768) >>> 16;
  }
  return { data: out, width: img.width, height: img.height, channels: 1 };
}

/** Grey → RGB by replicating the channel (for grey datasets fed to RGB extractors). */
export function grayToRgb(img: GrayImage): RgbImage {
  const n = img.width * img.height;
  const out = Buffer.alloc(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const v = img.data[i]!;
    out[j] = v; out[j + 1] = v; out[j + 2] = v;
  }
  return { data: out, width: img.width, height: img.height, channels: 3 };
}

/** size×size median filter (odd size ≥ 3): removes salt-and-pepper noise and keeps edges. */
export function medianDenoise<T extends AnyImage>(img: T, size = 3): Promise<T> {
  if (!Number.isInteger(size) || size < 3 || size % 2 === 0) {
    throw new AppError('INVALID_PARAMETER', 'median size must be an odd integer ≥ 3', { details: { size } });
  }
  return output(input(img).median(size), img, 'medianDenoise');
}

export interface ContrastOptions {
  /** Side of the local window in pixels; default an eighth of the shorter side (min 3). */
  window?: number;
  /** Clip limit (max slope of the cumulative histogram); 0 disables limiting. Default 3. */
  maxSlope?: number;
}

/**
 * Contrast-limited adaptive histogram equalisation (sharp's clahe). Makes edges and texture of
 * low-contrast or unevenly lit photos comparable to well-exposed ones before shape/texture features.
 */
export function enhanceContrast<T extends AnyImage>(img: T, opts: ContrastOptions = {}): Promise<T> {
  const window = Math.max(3, Math.round(opts.window ?? Math.min(img.width, img.height) / 8));
  return output(input(img).clahe({ width: window, height: window, maxSlope: opts.maxSlope ?? 3 }), img, 'enhanceContrast');
}

function copy<T extends AnyImage>(img: T): T {
  const data = img.channels === 3 ? Buffer.from(img.data) : new Uint8Array(img.data);
  return { ...img, data } as T;
}
