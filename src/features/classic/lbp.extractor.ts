import { l2normalize } from '../../domain/vector.js';
import { fitSquare, toGray } from '../../imaging/index.js';
import type { GrayImage, RgbImage } from '../../imaging/index.js';
import type { ExtractorIdentity, FeatureExtractor } from '../feature-extractor.js';
import { gridCellCount, gridCells } from './grid.js';

/**
 * Uniform local binary patterns (8 neighbours, radius 1; Ojala et al. 2002): 58 uniform codes plus
 * one bin for all non-uniform ones = 59 bins per cell, over a spatial pyramid. LBP only compares
 * each pixel with its neighbours, so it ignores brightness and contrast changes (a monotonic grey
 * transform leaves it unchanged) and describes texture: knit vs leather vs print.
 */
export const LBP_BINS = 59;

/** Maps each 8-bit LBP code to its uniform-pattern bin (0..57) or 58 for non-uniform codes. */
const UNIFORM_MAP: Uint8Array = (() => {
  const map = new Uint8Array(256);
  let next = 0;
  for (let code = 0; code < 256; code++) {
    let transitions = 0;
    for (let k = 0; k < 8; k++) if (((code >> k) & 1) !== ((code >> ((k + 1) % 8)) & 1)) transitions++;
    map[code] = transitions <= 2 ? next++ : 58;
  }
  return map;
})();

export interface LbpOptions {
  /** Pyramid levels, default [1, 2]. */
  levels?: readonly number[];
  /**
   * A neighbour counts as "not darker" when it is at most this many grey levels below the centre.
   * Plain LBP (0) turns JPEG noise on a flat background into random codes; with a small tolerance
   * flat areas give the same code before and after re-compression. Default 3.
   */
  tolerance?: number;
}

export function lbpDimensions(opts: LbpOptions = {}): number {
  return gridCellCount(opts.levels ?? [1, 2]) * LBP_BINS;
}

/** Unit-length uniform-LBP descriptor of a grey image (border pixels have no code and are skipped). */
export function lbpHistogram(img: GrayImage, opts: LbpOptions = {}): Float32Array {
  const levels = opts.levels ?? [1, 2];
  const tol = opts.tolerance ?? 3;
  const { width: w, height: h, data: d } = img;
  const codes = new Uint8Array(w * h);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const c = d[i]! - tol;
      // Neighbours in circular order so that "uniform" (≤ 2 transitions) means what it should.
      const code =
        (d[i - w - 1]! >= c ? 1 : 0) |
        (d[i - w]! >= c ? 2 : 0) |
        (d[i - w + 1]! >= c ? 4 : 0) |
        (d[i + 1]! >= c ? 8 : 0) |
        (d[i + w + 1]! >= c ? 16 : 0) |
        (d[i + w]! >= c ? 32 : 0) |
        (d[i + w - 1]! >= c ? 64 : 0) |
        (d[i - 1]! >= c ? 128 : 0);
      codes[i] = UNIFORM_MAP[code]!;
    }
  }
  const out = new Float32Array(gridCellCount(levels) * LBP_BINS);
  let cellIndex = 0;
  for (const cell of gridCells(w, h, levels, 1)) {
    const base = cellIndex * LBP_BINS;
    let count = 0;
    for (let y = cell.y0; y < cell.y1; y++) {
      for (let i = y * w + cell.x0, end = y * w + cell.x1; i < end; i++) {
        out[base + codes[i]!]! += 1;
        count++;
      }
    }
    if (count > 0) for (let k = 0; k < LBP_BINS; k++) out[base + k] = Math.sqrt(out[base + k]! / count);
    cellIndex++;
  }
  return l2normalize(out);
}

/** Standalone texture extractor: 128×128 padded with white, grey, uniform-LBP pyramid. */
export class LbpExtractor implements FeatureExtractor {
  readonly identity: ExtractorIdentity;
  private readonly opts: Required<LbpOptions>;

  constructor(opts: LbpOptions = {}) {
    this.opts = { levels: opts.levels ?? [1, 2], tolerance: opts.tolerance ?? 3 };
    this.identity = {
      name: 'lbp',
      version: '1',
      dimensions: lbpDimensions(this.opts),
      metric: 'cosine',
      preprocessing: `rgb contain-white 128x128; gray bt601; lbp-u2 p8 r1 tol ${this.opts.tolerance}; pyramid ${this.opts.levels.join('+')}; sqrt; l2`,
    };
  }

  extract(image: RgbImage): Promise<Float32Array> {
    return Promise.resolve(image).then((img) => lbpHistogram(toGray(fitSquare(img, 128)), this.opts));
  }
}
