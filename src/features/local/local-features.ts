import { AppError } from '../../domain/errors.js';
import type { GrayImage, RgbImage } from '../../imaging/types.js';
import { loadOpenCv, type Cv } from './opencv.js';

/** Bytes per ORB descriptor (256 bits). */
export const DESCRIPTOR_BYTES = 32;

/**
 * Keypoints and binary descriptors of one image. Coordinates are in the pixels of the image that
 * was analysed (`width`×`height`), so a box or homography can be scaled back by the caller.
 */
export interface LocalFeatures {
  width: number;
  height: number;
  count: number;
  /** x0, y0, x1, y1, … (length 2·count). */
  xy: Float32Array;
  /** count × DESCRIPTOR_BYTES, row-major. */
  descriptors: Uint8Array;
}

export interface LocalFeatureOptions {
  /** Most keypoints kept (strongest first). */
  maxKeypoints: number;
  /** FAST corner threshold; lower finds corners in blurred or low-contrast photos. */
  fastThreshold?: number;
}

/** Identity of the local features: stored with a vocabulary so features from another setup are never mixed. */
export const LOCAL_FEATURES_IDENTITY = 'orb-32B@1/scale1.2x8/fast12';

/** Converts RGB to luma (BT.601), the input ORB expects. */
export function toLuma(img: RgbImage | GrayImage): GrayImage {
  if (img.channels === 1) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = (d[j]! * 77 + d[j + 1]! * 150 + d[j + 2]! * 29) >> 8;
  return { data: out, width: img.width, height: img.height, channels: 1 };
}

/** ORB keypoints + descriptors (OpenCV). Images with no corners yield count 0, never an error. */
export async function extractLocalFeatures(img: RgbImage | GrayImage, options: LocalFeatureOptions): Promise<LocalFeatures> {
  const { cv } = await loadOpenCv();
  return extractWith(cv, toLuma(img), options);
}

function extractWith(cv: Cv, gray: GrayImage, options: LocalFeatureOptions): LocalFeatures {
  const mat = new cv.Mat(gray.height, gray.width, cv.CV_8UC1);
  const mask = new cv.Mat();
  const kps = new cv.KeyPointVector();
  const desc = new cv.Mat();
  // ORB(nfeatures, scaleFactor, nlevels, edgeThreshold, firstLevel, WTA_K, scoreType, patchSize, fastThreshold)
  const orb = new cv.ORB(options.maxKeypoints, 1.2, 8, 31, 0, 2, cv.ORB_HARRIS_SCORE, 31, options.fastThreshold ?? 12);
  try {
    mat.data.set(gray.data);
    orb.detectAndCompute(mat, mask, kps, desc);
    const count = desc.rows as number;
    if (count > 0 && (desc.cols !== DESCRIPTOR_BYTES || kps.size() !== count)) {
      throw new AppError('INTERNAL_ERROR', `unexpected ORB output: ${kps.size()} keypoints, ${desc.rows}×${desc.cols} descriptors`);
    }
    const xy = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) {
      const kp = kps.get(i);
      xy[2 * i] = kp.pt.x;
      xy[2 * i + 1] = kp.pt.y;
    }
    const descriptors = count > 0 ? new Uint8Array(desc.data as Uint8Array) : new Uint8Array(0);
    return { width: gray.width, height: gray.height, count, xy, descriptors };
  } finally {
    orb.delete();
    desc.delete();
    kps.delete();
    mask.delete();
    mat.delete();
  }
}

const MAGIC = 0x4c46; // "LF"
const FORMAT_VERSION = 1;
const HEADER_BYTES = 10;
/** Coordinates are stored as uint16 in 1/4 pixel: 0.25 px precision up to 16,383 px. */
const XY_SCALE = 4;

/**
 * Compact binary form for the catalog store: 10-byte header (magic, version, count, width, height),
 * then per keypoint x, y as uint16 quarter-pixels, then the descriptors — 36 bytes per keypoint
 * instead of ~60 for float coordinates plus size/angle, which verification does not need.
 * Little-endian whatever the host.
 */
export function encodeLocalFeatures(f: LocalFeatures): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + f.count * 4 + f.count * DESCRIPTOR_BYTES);
  out.writeUInt16LE(MAGIC, 0);
  out.writeUInt16LE(FORMAT_VERSION, 2);
  out.writeUInt16LE(f.count, 4);
  out.writeUInt16LE(f.width, 6);
  out.writeUInt16LE(f.height, 8);
  let o = HEADER_BYTES;
  for (let i = 0; i < f.count * 2; i++, o += 2) out.writeUInt16LE(Math.min(65535, Math.max(0, Math.round(f.xy[i]! * XY_SCALE))), o);
  out.set(f.descriptors.subarray(0, f.count * DESCRIPTOR_BYTES), o);
  return out;
}

export function decodeLocalFeatures(blob: Uint8Array): LocalFeatures {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < HEADER_BYTES || b.readUInt16LE(0) !== MAGIC || b.readUInt16LE(2) !== FORMAT_VERSION) {
    throw new AppError('STORE_ERROR', 'local features blob has an unknown format');
  }
  const count = b.readUInt16LE(4);
  if (b.length !== HEADER_BYTES + count * (4 + DESCRIPTOR_BYTES)) {
    throw new AppError('STORE_ERROR', `local features blob has ${b.length} bytes, expected ${HEADER_BYTES + count * (4 + DESCRIPTOR_BYTES)}`);
  }
  const xy = new Float32Array(count * 2);
  let o = HEADER_BYTES;
  for (let i = 0; i < count * 2; i++, o += 2) xy[i] = b.readUInt16LE(o) / XY_SCALE;
  const descriptors = new Uint8Array(count * DESCRIPTOR_BYTES);
  descriptors.set(b.subarray(o, o + count * DESCRIPTOR_BYTES));
  return { width: b.readUInt16LE(6), height: b.readUInt16LE(8), count, xy, descriptors };
}
