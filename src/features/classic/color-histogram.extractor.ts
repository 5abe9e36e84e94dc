import { l2normalize } from '../../domain/vector.js';
import { resample } from '../../imaging/index.js';
import type { RgbImage } from '../../imaging/index.js';
import type { ExtractorIdentity, FeatureExtractor } from '../feature-extractor.js';
import { gridCellCount, gridCells } from './grid.js';

/**
 * HSV colour histogram over a spatial pyramid (whole image, then 2×2, …).
 *
 * Bins per cell: 1 black (V < 0.2), 3 greys by value (S < 0.2), and 8 hues × 2 saturations × 2 values
 * for chromatic pixels = 36. Hue is soft-assigned to its two nearest bins so a slight hue shift
 * (white balance, JPEG) moves mass gradually instead of jumping bins. Each cell is normalised by
 * its pixel count and square-rooted (Hellinger), which stops one dominant colour (usually the white
 * background of a product shot) from swamping the rest under cosine.
 */
export const COLOR_BINS = 36;
const HUE_BINS = 8;

export interface ColorHistogramOptions {
  /** Pyramid levels: 1 = whole image, 2 = 2×2 grid, … Default [1, 2]. */
  levels?: readonly number[];
}

export function colorHistogramDimensions(opts: ColorHistogramOptions = {}): number {
  return gridCellCount(opts.levels ?? [1, 2]) * COLOR_BINS;
}

/** Unit-length colour descriptor of an RGB image (any size; callers downscale first for speed). */
export function colorHistogram(img: RgbImage, opts: ColorHistogramOptions = {}): Float32Array {
  const levels = opts.levels ?? [1, 2];
  const { width, height, data } = img;
  // Per-pixel bins computed once, then accumulated per cell.
  const n = width * height;
  const binA = new Uint8Array(n);
  const binB = new Uint8Array(n);
  const wA = new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const r = data[j]!, g = data[j + 1]!, b = data[j + 2]!;
    const max = Math.max(r, g, b), min = Math.min(r, g, b);
    const v = max / 255;
    const s = max === 0 ? 0 : (max - min) / max;
    if (v < 0.2) { binA[i] = 0; binB[i] = 0; wA[i] = 1; continue; }
    if (s < 0.2) { const gb = 1 + Math.min(2, Math.floor(((v - 0.2) / 0.8) * 3)); binA[i] = gb; binB[i] = gb; wA[i] = 1; continue; }
    const d = max - min;
    let h: number; // in [0, 6)
    if (max === r) h = ((g - b) / d + 6) % 6;
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
    const hh = (h / 6) * HUE_BINS - 0.5;
    const h0f = Math.floor(hh);
    const frac = hh - h0f;
    const h0 = (h0f + HUE_BINS) % HUE_BINS, h1 = (h0 + 1) % HUE_BINS;
    const sv = (s < 0.6 ? 0 : 2) + (v < 0.6 ? 0 : 1);
    binA[i] = 4 + h0 * 4 + sv;
    binB[i] = 4 + h1 * 4 + sv;
    wA[i] = 1 - frac;
  }
  const out = new Float32Array(gridCellCount(levels) * COLOR_BINS);
  let cellIndex = 0;
  for (const cell of gridCells(width, height, levels)) {
    const base = cellIndex * COLOR_BINS;
    let count = 0;
    for (let y = cell.y0; y < cell.y1; y++) {
      for (let x = cell.x0, i = y * width + cell.x0; x < cell.x1; x++, i++) {
        const w = wA[i]!;
        out[base + binA[i]!]! += w;
        out[base + binB[i]!]! += 1 - w;
        count++;
      }
    }
    if (count > 0) for (let k = 0; k < COLOR_BINS; k++) out[base + k] = Math.sqrt(out[base + k]! / count);
    cellIndex++;
  }
  return l2normalize(out);
}

/** Standalone colour-only extractor (64×64 stretched copy, so the grid follows the image frame). */
export class ColorHistogramExtractor implements FeatureExtractor {
  readonly identity: ExtractorIdentity;
  private readonly opts: ColorHistogramOptions;

  constructor(opts: ColorHistogramOptions = {}) {
    this.opts = { levels: opts.levels ?? [1, 2] };
    this.identity = {
      name: 'color-histogram',
      version: '1',
      dimensions: colorHistogramDimensions(this.opts),
      metric: 'cosine',
      preprocessing: `rgb fill 64x64; hsv 36 bins soft-hue; pyramid ${this.opts.levels!.join('+')}; sqrt; l2`,
    };
  }

  extract(image: RgbImage): Promise<Float32Array> {
    return Promise.resolve(image).then((img) => colorHistogram(resample(img, 64, 64), this.opts));
  }
}
