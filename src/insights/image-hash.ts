import { createHash } from 'node:crypto';
import type { RgbImage } from '../imaging/index.js';
import { resample, toGray } from '../imaging/index.js';

/** sha256 of the decoded RGB pixels and size: equal for the same picture saved in another lossless file. */
export function pixelHash(image: RgbImage): string {
  return createHash('sha256').update(`${image.width}x${image.height}\n`).update(image.data).digest('hex');
}

const SIDE = 32;
const LOW = 8;

/** Precomputed DCT-II basis for 32 samples, first 8 frequencies. */
const BASIS: Float64Array = (() => {
  const b = new Float64Array(LOW * SIDE);
  for (let u = 0; u < LOW; u++) for (let x = 0; x < SIDE; x++) b[u * SIDE + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * SIDE));
  return b;
})();

/**
 * 64-bit perceptual hash (pHash): grey 32×32, 2-D DCT, the 8×8 lowest frequencies, one bit per
 * coefficient above their median (the DC term excluded from the median). Robust to re-encoding,
 * resizing and small edits; hamming distance compares two images.
 */
export function perceptualHash(image: RgbImage): string {
  const gray = resample(toGray(image), SIDE, SIDE);
  const px = gray.data;
  // Rows first: tmp[y][u] = Σx px[y][x]·cos(u,x); then columns: coef[v][u] = Σy tmp[y][u]·cos(v,y).
  const tmp = new Float64Array(SIDE * LOW);
  for (let y = 0; y < SIDE; y++) {
    for (let u = 0; u < LOW; u++) {
      let s = 0;
      for (let x = 0; x < SIDE; x++) s += px[y * SIDE + x]! * BASIS[u * SIDE + x]!;
      tmp[y * LOW + u] = s;
    }
  }
  const coef = new Float64Array(LOW * LOW);
  for (let v = 0; v < LOW; v++) {
    for (let u = 0; u < LOW; u++) {
      let s = 0;
      for (let y = 0; y < SIDE; y++) s += tmp[y * LOW + u]! * BASIS[v * SIDE + y]!;
      coef[v * LOW + u] = s;
    }
  }
  const sorted = Array.from(coef.subarray(1)).sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  let hex = '';
  for (let nib = 0; nib < 16; nib++) {
    let n = 0;
    for (let b = 0; b < 4; b++) n = (n << 1) | (coef[nib * 4 + b]! > median ? 1 : 0);
    hex += n.toString(16);
  }
  return hex;
}

const POPCOUNT = Uint8Array.from({ length: 16 }, (_, i) => (i & 1) + ((i >> 1) & 1) + ((i >> 2) & 1) + ((i >> 3) & 1));

/** Number of differing bits between two hex hashes of equal length. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) throw new Error('hashes differ in length');
  let d = 0;
  for (let i = 0; i < a.length; i++) d += POPCOUNT[parseInt(a[i]!, 16) ^ parseInt(b[i]!, 16)]!;
  return d;
}
