import type { FeatureMap, FeatureMapModel } from '../../features/onnx/feature-maps.js';
import { findBackdrop } from '../../imaging/backdrop.js';
import { resize, turnedSize, turnOnCanvas, unturn } from '../../imaging/index.js';
import { cropImage } from '../../imaging/subject.js';
import type { Unturn } from '../../imaging/turn.js';
import type { GrayImage, RgbImage } from '../../imaging/types.js';
import { MIN_BACKDROP_SHARE } from './catalog-analysis.js';

/**
 * A catalogue product looked for in the photo by its CNN feature map (features/onnx/feature-maps.ts):
 * the product's cells, cut out by its backdrop, at a few sizes and turns, are slid over the photo's
 * map, and the best mean cosine is the product's template score (a template matcher in the manner
 * of SiamFC, on off-the-shelf features). Mid-level CNN features keep a product's soft shading,
 * thin strokes and flat colour areas through blur, light and JPEG, where ORB finds few corners;
 * sliding the whole template asks that the parts sit together as in the catalogue image. It is
 * slow beside the keypoints (a forward pass per size and turn), so it only re-orders the lookup's
 * first few matches on a photo where none is exact (evidence.ts, templateFirst).
 */
export interface FeatureTemplateOptions {
  /** The lookup's first matches whose templates are scored. */
  candidates: number;
  /** Evidence per unit of template score in the first place's choice. */
  weight: number;
  /** Longest side the photo is scaled to. */
  side: number;
  /** Product sizes tried: its longest side as a share of the scaled photo's shorter side. */
  scales: number[];
  /** Turns tried, degrees. */
  turns: number[];
}

// Session 34 (bench/lookup/README.md): tuning sets, photos with no exact match.
export const DEFAULT_FEATURE_TEMPLATE_OPTIONS: FeatureTemplateOptions = { candidates: 5, weight: 40, side: 320, scales: [0.45, 0.65, 0.85], turns: [-20, 0, 20] };

/** Backdrop framing the product in a template, pixels: the catalogue image shows it on its backdrop too. */
const FRAME = 8;
/** Least share of a template cell on the product for the cell to count, of CELL_SAMPLES² points. */
const CELL_ON_PRODUCT = 0.4;
const CELL_SAMPLES = 4;
/** Smallest product side in a template, pixels. */
const SMALLEST = 16;
const WHITE: readonly [number, number, number] = [255, 255, 255];

/** A product's template: its cells (n × channels) and where each lies from the template's centre (row, column pairs). */
interface Template {
  cells: Float32Array;
  offsets: Int32Array;
  n: number;
}

/** The photo scaled to `side` and its feature map. */
export async function photoFeatures(model: FeatureMapModel, photo: RgbImage, o: FeatureTemplateOptions): Promise<{ map: FeatureMap; shorter: number }> {
  const s = Math.min(1, o.side / Math.max(photo.width, photo.height));
  const scaled = s < 1 ? await resize(photo, Math.max(1, Math.round(photo.width * s)), Math.max(1, Math.round(photo.height * s))) : photo;
  return { map: await model.map(scaled), shorter: Math.min(scaled.width, scaled.height) };
}

/**
 * The template score of a catalogue image in the photo: the best, over the product's sizes and
 * turns and its places in the photo, of the mean cosine between its cells and the photo's cells
 * under them (cells that fall outside the photo count 0).
 */
export async function templateScore(model: FeatureMapModel, photo: { map: FeatureMap; shorter: number }, catalogue: RgbImage, o: FeatureTemplateOptions): Promise<number> {
  const templates = (await productTemplates(model, catalogue, photo.shorter, o)).filter((t) => t.n > 0);
  if (templates.length === 0) return 0;
  // Every template's cells against the photo's in one product.
  const channels = photo.map.channels;
  const total = templates.reduce((n, t) => n + t.n, 0);
  const all = new Float32Array(total * channels);
  let at = 0;
  for (const t of templates) {
    all.set(t.cells, at * channels);
    at += t.n;
  }
  const cos = await model.cosines(photo.map, all, total);
  let best = 0;
  at = 0;
  for (const t of templates) {
    best = Math.max(best, bestPlacement(cos, at, t, photo.map.rows, photo.map.columns));
    at += t.n;
  }
  return best;
}

/** The product's templates at each size and turn, for a photo whose shorter side is `shorter`. */
async function productTemplates(model: FeatureMapModel, catalogue: RgbImage, shorter: number, o: FeatureTemplateOptions): Promise<Template[]> {
  const backdrop = findBackdrop(catalogue);
  const plain = backdrop.share >= MIN_BACKDROP_SHARE;
  const { width: w, height: h } = catalogue;
  // The product: what is not backdrop, and its bounding box.
  const mask: GrayImage = { data: new Uint8Array(w * h), width: w, height: h, channels: 1 };
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let i = 0; i < w * h; i++) {
    if (plain && backdrop.mask[i]) continue;
    mask.data[i] = 255;
    const x = i % w, y = (i - x) / w;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (x1 < 0) return [];
  const box = { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
  const product = cropImage(catalogue, box);
  const productMask = cropImage(mask, box);
  const fill = plain ? backdrop.colour : WHITE;
  const out: Template[] = [];
  for (const scale of o.scales) {
    const side = Math.max(SMALLEST, Math.round(scale * shorter));
    const k = side / Math.max(box.width, box.height);
    const tw = Math.max(1, Math.round(box.width * k)), th = Math.max(1, Math.round(box.height * k));
    const image = await resize(product, tw, th);
    const imageMask = await resize(productMask, tw, th);
    // One canvas for the size's turns (framed by FRAME px of backdrop), so one pass maps them all.
    const canvas = { width: 0, height: 0 };
    for (const turn of o.turns) {
      const t = turnedSize(tw + 2 * FRAME, th + 2 * FRAME, turn);
      canvas.width = Math.max(canvas.width, t.width);
      canvas.height = Math.max(canvas.height, t.height);
    }
    const maps = await model.maps(o.turns.map((turn) => turnOnCanvas(image, turn, fill, canvas)));
    o.turns.forEach((turn, i) => out.push(template(maps[i]!, imageMask, unturn(tw, th, turn, canvas.width, canvas.height), model.stride)));
  }
  return out;
}

/**
 * The cells of a template's `map` that lie on the product, with their offsets from the map's
 * centre cell: a cell counts when CELL_ON_PRODUCT of the points sampled in its `stride`² pixels of
 * the canvas fall on the product (`mask`, the product's before its turn; `from`: a canvas point's
 * place in it).
 */
function template(map: FeatureMap, mask: GrayImage, from: Unturn, stride: number): Template {
  const { rows, columns, channels } = map;
  const keep: number[] = [];
  const step = stride / CELL_SAMPLES;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      let on = 0;
      for (let j = 0; j < CELL_SAMPLES; j++) {
        for (let i = 0; i < CELL_SAMPLES; i++) {
          const [x, y] = from(c * stride + (i + 0.5) * step, r * stride + (j + 0.5) * step);
          const xi = Math.round(x), yi = Math.round(y);
          if (xi >= 0 && yi >= 0 && xi < mask.width && yi < mask.height && mask.data[yi * mask.width + xi]! >= 128) on++;
        }
      }
      if (on >= CELL_ON_PRODUCT * CELL_SAMPLES * CELL_SAMPLES) keep.push(r * columns + c);
    }
  }
  const cells = new Float32Array(keep.length * channels);
  const offsets = new Int32Array(2 * keep.length);
  keep.forEach((i, k) => {
    cells.set(map.data.subarray(i * channels, (i + 1) * channels), k * channels);
    offsets[2 * k] = Math.floor(i / columns) - (rows >> 1);
    offsets[2 * k + 1] = (i % columns) - (columns >> 1);
  });
  return { cells, offsets, n: keep.length };
}

/**
 * The best mean cosine of the template's cells over its placements (its centre on each photo cell);
 * `cos` holds a row of cosines to the photo's cells per template cell, this template's from row `from`.
 */
function bestPlacement(cos: Float32Array, from: number, t: Template, rows: number, columns: number): number {
  const cells = rows * columns;
  const sum = new Float32Array(cells);
  for (let k = 0; k < t.n; k++) {
    const dy = t.offsets[2 * k]!, dx = t.offsets[2 * k + 1]!;
    const row = (from + k) * cells;
    const xa = Math.max(0, -dx), xb = Math.min(columns, columns - dx);
    for (let y = Math.max(0, -dy); y < Math.min(rows, rows - dy); y++) {
      const to = y * columns, at = row + (y + dy) * columns + dx;
      for (let x = xa; x < xb; x++) sum[to + x]! += cos[at + x]!;
    }
  }
  let best = -Infinity;
  for (let i = 0; i < cells; i++) if (sum[i]! > best) best = sum[i]!;
  return best / t.n;
}
