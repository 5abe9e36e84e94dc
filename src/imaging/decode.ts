import sharp, { type Metadata, type Sharp } from 'sharp';
import { AppError } from '../domain/errors.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits, type RgbImage } from './types.js';

// libvips' operation cache would keep recently decoded images (shoppers' photos among them) in
// memory after a request ends; every decode here is of new bytes anyway, so the cache buys nothing.
sharp.cache(false);

/** Encoded formats shoplens accepts. Everything else is UNSUPPORTED_IMAGE_TYPE. */
export const SUPPORTED_IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'avif', 'gif'] as const;
export type ImageFormat = (typeof SUPPORTED_IMAGE_FORMATS)[number];

export const IMAGE_MIME_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
};

/** What the header says, read without decoding any pixels. Width/height are before EXIF orientation. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
  bytes: number;
}

export interface DecodeOptions {
  /** Downscale (never upscale) so the longest side is at most this. Default 512; 0 keeps full size. */
  maxSide?: number;
  /**
   * Images whose longest side exceeds `maxSide` are reduced to this side instead (when smaller than
   * maxSide); smaller images are decoded exactly as without it. Lets a query be decoded only as
   * large as its extractor needs: a large JPEG then shrinks on load (libvips decodes it at 1/2, 1/4
   * or 1/8 scale), while an image that catalog ingest would keep at full size is kept so too.
   */
  largeImageSide?: number;
}

export const DEFAULT_DECODE_MAX_SIDE = 512;

const AVIF_BRANDS = new Set(['avif', 'avis']);

/**
 * Identifies the format from magic bytes only. File names and client-sent MIME types lie;
 * and sniffing first keeps formats we never meant to accept (SVG with its XML parser, TIFF, PDF…)
 * away from the decoders that sharp happens to ship.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  const b = bytes;
  const ascii = (start: number, end: number) => Buffer.from(b.subarray(start, end)).toString('latin1');
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (
    b.length >= 8 &&
    b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 &&
    b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a
  ) return 'png';
  if (b.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  // ISO-BMFF: [size][ftyp][major brand][minor version][compatible brands…]. AVIF may use a generic
  // major brand (mif1) and list avif among the compatible ones; HEIC (HEVC) is not accepted.
  if (b.length >= 16 && ascii(4, 8) === 'ftyp') {
    const boxSize = Buffer.from(b.subarray(0, 4)).readUInt32BE(0);
    const end = Math.min(b.length, boxSize >= 16 ? boxSize : 16);
    if (AVIF_BRANDS.has(ascii(8, 12))) return 'avif';
    for (let off = 16; off + 4 <= end; off += 4) if (AVIF_BRANDS.has(ascii(off, off + 4))) return 'avif';
  }
  return null;
}

function resolveLimits(limits?: Partial<ImageLimits>): ImageLimits {
  return { ...DEFAULT_IMAGE_LIMITS, ...limits };
}

/**
 * Validates size and format and reads the dimensions from the header, without decoding pixels.
 * Throws AppError EMPTY_IMAGE, IMAGE_TOO_LARGE, UNSUPPORTED_IMAGE_TYPE or CORRUPT_IMAGE.
 */
export async function readImageHeader(bytes: Buffer, limits?: Partial<ImageLimits>): Promise<ImageHeader> {
  const lim = resolveLimits(limits);
  if (bytes.length === 0) throw new AppError('EMPTY_IMAGE', 'The image is empty (0 bytes)');
  if (bytes.length > lim.maxBytes) {
    throw new AppError('IMAGE_TOO_LARGE', `The image is ${bytes.length} bytes; the limit is ${lim.maxBytes}`, {
      details: { bytes: bytes.length, maxBytes: lim.maxBytes },
    });
  }
  const format = sniffImageFormat(bytes);
  if (format === null) {
    throw new AppError('UNSUPPORTED_IMAGE_TYPE', 'Not an image in a supported format (JPEG, PNG, WebP, AVIF, GIF)', {
      details: { supported: [...SUPPORTED_IMAGE_FORMATS] },
    });
  }
  let meta: Metadata;
  try {
    // Header only. The pixel limit is ours to check below, with a precise error; sharp's own limit
    // would throw a generic message here.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err: unknown) {
    throw new AppError('CORRUPT_IMAGE', `Could not read the ${format} header`, { cause: err, details: { format } });
  }
  const { width, height } = meta;
  if (!(width > 0) || !(height > 0)) {
    throw new AppError('CORRUPT_IMAGE', `The ${format} header has no valid dimensions`, { details: { format } });
  }
  if (width * height > lim.maxPixels) {
    throw new AppError('IMAGE_TOO_LARGE', `The image is ${width}×${height}; the limit is ${lim.maxPixels} pixels`, {
      details: { width, height, maxPixels: lim.maxPixels },
    });
  }
  return { format, width, height, orientation: meta.orientation ?? 1, bytes: bytes.length };
}

/**
 * A sharp pipeline for validated input: first frame only, EXIF orientation applied, alpha flattened
 * onto white. Shared by decodeImage and makeDisplayImage so both see the same pixels.
 */
export async function openValidated(
  bytes: Buffer,
  limits?: Partial<ImageLimits>,
): Promise<{ header: ImageHeader; pipeline: Sharp }> {
  const lim = resolveLimits(limits);
  const header = await readImageHeader(bytes, lim);
  // failOn 'error' rejects truncated and undecodable data but tolerates the benign warnings many
  // real-world JPEGs trigger (e.g. stray bytes before a marker). limitInputPixels is a second guard
  // in case the header we checked and the decoder disagree.
  try {
    const pipeline = sharp(bytes, {
      failOn: 'error',
      limitInputPixels: Math.max(1, Math.floor(lim.maxPixels)),
      pages: 1,
      page: 0,
    })
      .rotate()
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb');
    return { header, pipeline };
  } catch (err: unknown) {
    throw decodeFailure(err, header.format);
  }
}

/** Turns a sharp failure while decoding pixels into a stable AppError. */
export function decodeFailure(err: unknown, format: ImageFormat): AppError {
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) {
    return new AppError('IMAGE_TOO_LARGE', 'The image exceeds the pixel limit', { cause: err, details: { format } });
  }
  return new AppError('CORRUPT_IMAGE', `The ${format} image data is truncated or corrupt`, {
    cause: err,
    details: { format },
  });
}

/** Longest side decodeImage reduces to (0: full size) for an image with this header. */
function targetSide(header: ImageHeader, opts: DecodeOptions): number {
  const maxSide = opts.maxSide ?? DEFAULT_DECODE_MAX_SIDE;
  const large = opts.largeImageSide;
  if (large === undefined || !(large > 0) || !(maxSide > 0) || large >= maxSide) return maxSide;
  return Math.max(header.width, header.height) > maxSide ? large : maxSide;
}

/**
 * Decodes an untrusted encoded image into 8-bit sRGB RGB, orientation applied, alpha flattened
 * onto white, downscaled so the longest side is ≤ maxSide (default 512; extraction needs no more).
 * Never throws anything but AppError.
 */
export async function decodeImage(
  bytes: Buffer,
  limits?: Partial<ImageLimits>,
  opts: DecodeOptions = {},
): Promise<RgbImage> {
  const { header, pipeline } = await openValidated(bytes, limits);
  const maxSide = targetSide(header, opts);
  try {
    if (maxSide > 0) {
      pipeline.resize(Math.round(maxSide), Math.round(maxSide), { fit: 'inside', withoutEnlargement: true });
    }
    const { data, info } = await pipeline.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new Error(`unexpected decoder output: ${info.width}×${info.height}×${info.channels}`);
    }
    // Header sizes are before EXIF orientation; orientations 5–8 swap the axes.
    const swap = header.orientation >= 5 && header.orientation <= 8;
    return {
      data, width: info.width, height: info.height, channels: 3,
      originalWidth: swap ? header.height : header.width,
      originalHeight: swap ? header.width : header.height,
    };
  } catch (err: unknown) {
    throw decodeFailure(err, header.format);
  }
}
