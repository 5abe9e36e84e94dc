import { l2normalize } from '../../domain/vector.js';
import { fitSquare, toGray } from '../../imaging/index.js';
import type { GrayImage, RgbImage } from '../../imaging/index.js';
import type { ExtractorIdentity, FeatureExtractor } from '../feature-extractor.js';

/**
 * Histogram of oriented gradients (Dalal & Triggs 2005): centred [-1 0 1] gradients, unsigned
 * orientation in `bins` bins, votes weighted by magnitude and spread bilinearly over orientation
 * and over the four nearest cells (so a one-pixel shift or a slight rescale changes the descriptor
 * smoothly), blocks of 2×2 cells normalised with L2-Hys. Describes silhouette and shape.
 */
export interface HogOptions {
  /** Cell side in pixels, default 8. */
  cellSize?: number;
  /** Orientation bins over 0..180°, default 9. */
  bins?: number;
  /** Block side in cells, default 2. */
  blockSize?: number;
  /** Block step in cells, default 1 (overlapping blocks). */
  blockStride?: number;
  /**
   * Gradient floor, in grey levels per pixel, added to each block's norm before normalising.
   * Without it a flat block holding only JPEG noise is stretched to full length like a real edge,
   * so a re-compressed copy of a product on white looks nothing like the original. Default 4.
   */
  noiseFloor?: number;
}

function resolved(opts: HogOptions): Required<HogOptions> {
  return {
    cellSize: opts.cellSize ?? 8,
    bins: opts.bins ?? 9,
    blockSize: opts.blockSize ?? 2,
    blockStride: opts.blockStride ?? 1,
    noiseFloor: opts.noiseFloor ?? 4,
  };
}

export function hogDimensions(width: number, height: number, opts: HogOptions = {}): number {
  const o = resolved(opts);
  const cx = Math.floor(width / o.cellSize), cy = Math.floor(height / o.cellSize);
  const bx = Math.floor((cx - o.blockSize) / o.blockStride) + 1, by = Math.floor((cy - o.blockSize) / o.blockStride) + 1;
  return Math.max(0, bx) * Math.max(0, by) * o.blockSize * o.blockSize * o.bins;
}

/** Unit-length HOG descriptor of a grey image. */
export function hogDescriptor(img: GrayImage, opts: HogOptions = {}): Float32Array {
  const { cellSize, bins, blockSize, blockStride, noiseFloor } = resolved(opts);
  const { width: w, height: h, data: d } = img;
  const cellsX = Math.floor(w / cellSize), cellsY = Math.floor(h / cellSize);
  const hist = new Float32Array(cellsX * cellsY * bins);
  const binScale = bins / Math.PI;
  for (let y = 0; y < cellsY * cellSize; y++) {
    const up = y > 0 ? y - 1 : y, down = y < h - 1 ? y + 1 : y;
    const fy = (y + 0.5) / cellSize - 0.5;
    const cy0 = Math.floor(fy), wy1 = fy - cy0, wy0 = 1 - wy1;
    for (let x = 0; x < cellsX * cellSize; x++) {
      const left = x > 0 ? x - 1 : x, right = x < w - 1 ? x + 1 : x;
      const gx = d[y * w + right]! - d[y * w + left]!;
      const gy = d[down * w + x]! - d[up * w + x]!;
      if (gx === 0 && gy === 0) continue;
      const mag = Math.sqrt(gx * gx + gy * gy);
      let ang = Math.atan2(gy, gx);
      if (ang < 0) ang += Math.PI;
      const fb = ang * binScale - 0.5;
      const b0f = Math.floor(fb), wb1 = fb - b0f, wb0 = 1 - wb1;
      const b0 = (b0f + bins) % bins, b1 = (b0 + 1) % bins;
      const fx = (x + 0.5) / cellSize - 0.5;
      const cx0 = Math.floor(fx), wx1 = fx - cx0, wx0 = 1 - wx1;
      for (let dy = 0; dy < 2; dy++) {
        const cy = cy0 + dy;
        if (cy < 0 || cy >= cellsY) continue;
        const wy = dy === 0 ? wy0 : wy1;
        for (let dx = 0; dx < 2; dx++) {
          const cx = cx0 + dx;
          if (cx < 0 || cx >= cellsX) continue;
          const wgt = mag * wy * (dx === 0 ? wx0 : wx1);
          const base = (cy * cellsX + cx) * bins;
          hist[base + b0]! += wgt * wb0;
          hist[base + b1]! += wgt * wb1;
        }
      }
    }
  }
  const out = new Float32Array(hogDimensions(w, h, { cellSize, bins, blockSize, blockStride }));
  const blockLen = blockSize * blockSize * bins;
  const block = new Float32Array(blockLen);
  // A block of pixels each with gradient magnitude `noiseFloor` has an L1 mass of about
  // pixels × noiseFloor; used as the epsilon of the first normalisation.
  const eps = blockSize * blockSize * cellSize * cellSize * noiseFloor;
  let o = 0;
  for (let by = 0; by + blockSize <= cellsY; by += blockStride) {
    for (let bx = 0; bx + blockSize <= cellsX; bx += blockStride) {
      let k = 0;
      for (let cy = by; cy < by + blockSize; cy++) {
        for (let cx = bx; cx < bx + blockSize; cx++) {
          const base = (cy * cellsX + cx) * bins;
          for (let b = 0; b < bins; b++) block[k++] = hist[base + b]!;
        }
      }
      // L2-Hys: normalise (with the noise floor), clip at 0.2, renormalise by the pre-clip length so
      // weak blocks stay weak. The clip keeps a few very strong edges (a logo, a hard shadow) from
      // dominating the block.
      let ss = 0;
      for (let i = 0; i < blockLen; i++) ss += block[i]! * block[i]!;
      const inv = 1 / Math.sqrt(ss + eps * eps);
      let ss2 = 0;
      for (let i = 0; i < blockLen; i++) {
        const v = Math.min(0.2, block[i]! * inv);
        block[i] = v;
        ss2 += v * v;
      }
      const len = Math.sqrt(ss * inv * inv);
      if (ss2 > 0) {
        const k = len / Math.sqrt(ss2);
        for (let i = 0; i < blockLen; i++) block[i]! *= k;
      }
      out.set(block, o);
      o += blockLen;
    }
  }
  return l2normalize(out);
}

/** Standalone shape extractor: 64×64 padded with white, grey, HOG. */
export class HogExtractor implements FeatureExtractor {
  readonly identity: ExtractorIdentity;
  private readonly side = 64;
  private readonly opts: Required<HogOptions>;

  constructor(opts: HogOptions = {}) {
    this.opts = resolved(opts);
    const o = this.opts;
    this.identity = {
      name: 'hog',
      version: '1',
      dimensions: hogDimensions(this.side, this.side, o),
      metric: 'cosine',
      preprocessing: `rgb contain-white ${this.side}x${this.side}; gray bt601; hog cell ${o.cellSize} bins ${o.bins} block ${o.blockSize}/${o.blockStride} l2hys floor ${o.noiseFloor}; l2`,
    };
  }

  extract(image: RgbImage): Promise<Float32Array> {
    return Promise.resolve(image).then((img) => hogDescriptor(toGray(fitSquare(img, this.side)), this.opts));
  }
}
