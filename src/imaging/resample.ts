import { AppError } from '../domain/errors.js';
import type { AnyImage } from './preprocess.js';

/**
 * Pure-TypeScript resampling for the feature-extraction hot path.
 *
 * Why not sharp here: extraction runs on images that are already decoded and small (≤ 512 px), where
 * a round-trip through the libvips thread pool costs more than the arithmetic; and vectors must be
 * reproducible for an extractor identity, which a libvips upgrade changing its kernels would
 * silently break. Everything here is synchronous, allocation-light and bit-exact across platforms.
 */

interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  /** count[i] weights for output i, stored at i * taps. */
  weights: Float32Array;
  taps: number;
}

/**
 * Triangle (tent) filter whose support widens with the reduction factor: bilinear when enlarging,
 * an anti-aliasing average when shrinking (the same scheme as Pillow's BILINEAR resize).
 */
function axisWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = filterScale; // tent radius 1 in filter units
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(inSize, Math.ceil(center + support));
    let sum = 0;
    let n = 0;
    for (let j = lo; j < hi && n < taps; j++, n++) {
      const w = Math.max(0, 1 - Math.abs((j + 0.5 - center) / filterScale));
      weights[i * taps + n] = w;
      sum += w;
    }
    if (sum === 0) {
      // Can only happen at extreme ratios; fall back to the nearest pixel.
      weights[i * taps] = 1;
      n = 1;
      sum = 1;
      start[i] = Math.min(inSize - 1, Math.floor(center));
    } else {
      start[i] = lo;
    }
    for (let k = 0; k < n; k++) weights[i * taps + k]! /= sum;
    count[i] = n;
  }
  return { start, count, weights, taps };
}

/** Resamples to exactly width×height (aspect ratio not kept). Returns a new image. */
export function resample<T extends AnyImage>(img: T, width: number, height: number): T {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new AppError('INVALID_PARAMETER', 'resample needs positive integer dimensions', { details: { width, height } });
  }
  const c = img.channels;
  const src = img.data;
  const out = c === 3 ? Buffer.alloc(width * height * 3) : new Uint8Array(width * height);
  if (img.width === width && img.height === height) {
    out.set(src);
    return { ...img, data: out } as T;
  }
  // Reductions of 2× or more: an exact integer box average first (reads each source pixel once),
  // then the tent filter for the remaining factor below 2×. The tent pass over a 512 px source is
  // what dominates extraction time otherwise; at feature resolution the two filters are equivalent.
  const fx = Math.floor(img.width / width), fy = Math.floor(img.height / height);
  if (fx >= 2 || fy >= 2) return resample(boxShrink(img, Math.max(1, fx), Math.max(1, fy)), width, height);
  const wx = axisWeights(img.width, width);
  const wy = axisWeights(img.height, height);
  // Horizontal pass into floats (img.height × width), then vertical pass with rounding. Loops are
  // written for typed-array speed: channels unrolled, vertical pass accumulating whole rows.
  const tmp = new Float32Array(img.height * width * c);
  const W = wx.weights;
  for (let y = 0; y < img.height; y++) {
    const rowIn = y * img.width * c;
    let o = y * width * c;
    for (let x = 0; x < width; x++) {
      const n = wx.count[x]!, wo = x * wx.taps;
      let p = rowIn + wx.start[x]! * c;
      if (c === 3) {
        let r = 0, g = 0, b = 0;
        for (let k = 0; k < n; k++, p += 3) {
          const w = W[wo + k]!;
          r += src[p]! * w; g += src[p + 1]! * w; b += src[p + 2]! * w;
        }
        tmp[o++] = r; tmp[o++] = g; tmp[o++] = b;
      } else {
        let v = 0;
        for (let k = 0; k < n; k++, p++) v += src[p]! * W[wo + k]!;
        tmp[o++] = v;
      }
    }
  }
  const stride = width * c;
  const acc = new Float32Array(stride);
  for (let y = 0; y < height; y++) {
    const s = wy.start[y]!, n = wy.count[y]!, wo = y * wy.taps;
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const w = wy.weights[wo + k]!;
      const base = (s + k) * stride;
      for (let i = 0; i < stride; i++) acc[i]! += tmp[base + i]! * w;
    }
    const rowOut = y * stride;
    for (let i = 0; i < stride; i++) {
      const v = Math.round(acc[i]!);
      out[rowOut + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { data: out, width, height, channels: c } as T;
}

/** Averages fx×fy blocks (integer factors); a remainder of < f pixels at the right/bottom is dropped. */
function boxShrink<T extends AnyImage>(img: T, fx: number, fy: number): T {
  const c = img.channels;
  const w = Math.floor(img.width / fx), h = Math.floor(img.height / fy);
  const src = img.data;
  const out = c === 3 ? Buffer.alloc(w * h * 3) : new Uint8Array(w * h);
  const acc = new Uint32Array(w * c);
  const area = fx * fy, half = area >> 1;
  const rowLen = img.width * c;
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    for (let dy = 0; dy < fy; dy++) {
      let p = (y * fy + dy) * rowLen;
      if (c === 3) {
        for (let o = 0; o < w * 3; o += 3) {
          let r = 0, g = 0, b = 0;
          for (let dx = 0; dx < fx; dx++, p += 3) { r += src[p]!; g += src[p + 1]!; b += src[p + 2]!; }
          acc[o]! += r; acc[o + 1]! += g; acc[o + 2]! += b;
        }
      } else {
        for (let o = 0; o < w; o++) {
          let v = 0;
          for (let dx = 0; dx < fx; dx++) v += src[p++]!;
          acc[o]! += v;
        }
      }
    }
    const rowOut = y * w * c;
    for (let i = 0; i < w * c; i++) out[rowOut + i] = ((acc[i]! + half) / area) | 0;
  }
  return { data: out, width: w, height: h, channels: c } as T;
}

/**
 * side×side square: the image scaled to fit (aspect ratio kept) and centred on white, the usual
 * product-photo background, so tall and wide products are described without distortion.
 */
export function fitSquare<T extends AnyImage>(img: T, side: number): T {
  const scale = side / Math.max(img.width, img.height);
  const w = Math.max(1, Math.min(side, Math.round(img.width * scale)));
  const h = Math.max(1, Math.min(side, Math.round(img.height * scale)));
  const scaled = resample(img, w, h);
  if (w === side && h === side) return scaled;
  const c = img.channels;
  const out = c === 3 ? Buffer.alloc(side * side * 3, 255) : new Uint8Array(side * side).fill(255);
  const ox = Math.floor((side - w) / 2), oy = Math.floor((side - h) / 2);
  for (let y = 0; y < h; y++) {
    out.set(scaled.data.subarray(y * w * c, (y + 1) * w * c), ((oy + y) * side + ox) * c);
  }
  return { data: out, width: side, height: side, channels: c } as T;
}
