import { extractLocalFeatures, type LocalFeatures } from '../features/local/local-features.js';
import type { RgbImage } from '../imaging/index.js';
import { DEFAULT_VERIFY_OPTIONS, verifyCandidate, type QuantizedFeatures } from '../search/lookup/verify.js';

/**
 * Near-duplicate verification of one image pair: align the two pictures (ORB + RANSAC from the
 * product lookup, or plain rescaling of the whole frame), then compare their colours cell by cell
 * over the overlap. Re-encoded, resized, slightly cropped or watermarked copies agree almost
 * everywhere; distinct products that merely look alike (the 2 and the 5 of spades, one arrow in
 * two colours) differ in a compact region or in colour, which a grey perceptual hash and a global
 * embedding both average away.
 */

/** An image prepared for pair checks: pixels, per-channel integral images and (lazily) ORB features. */
export interface PreparedImage {
  width: number;
  height: number;
  /** (width+1)·(height+1)·3 running sums, row-major, channel-interleaved. */
  integral: Uint32Array;
  /**
   * Bounding box of what is not background, when the picture has a uniform background (its four
   * corners agree) and the content does not fill the frame: a product on white.
   */
  content: Box | null;
  features: () => Promise<LocalFeatures>;
}

/** [x0, x1) × [y0, y1) in pixels. */
export interface Box { x0: number; y0: number; x1: number; y1: number }

/** x_a = sx·x_b + tx, y_a = sy·y_b + ty: where a point of image b lies in image a. */
export interface Alignment {
  sx: number;
  sy: number;
  tx: number;
  ty: number;
  source: 'frame' | 'content' | 'ransac';
  inliers: number;
}

export interface PairComparison {
  /** Share of compared cells whose mean colours differ by more than `cellDifference` (0–1). */
  differing: number;
  /** Mean over compared cells of the per-channel colour difference (0–255): a tint over the whole picture. */
  meanDifference: number;
  /** Cells compared (the overlap on a grid of `grid` cells along its longer side). */
  cells: number;
  /** Overlap area as a share of the larger of the two images (in a's pixels), 0–1: a 5 % crop gives 0.90. */
  overlap: number;
  alignment: Alignment;
}

export interface PairCheckOptions {
  /** Cells along the longer side of the overlap (default 64). */
  grid: number;
  /** Largest per-channel difference (0–255) of two cells' mean colours that still counts as the same (default 80). */
  cellDifference: number;
  /** ORB keypoints per image for the alignment (default 500). */
  keypoints: number;
  /** RANSAC inliers from which a local-feature alignment is tried (default 8). */
  minInliers: number;
}

/**
 * Chosen on bench/duplicates seed 1 (tuning): at 64 cells / 80 levels every true copy there
 * (re-encoded, resized, 5 %-cropped, watermarked; watermark strokes stay below 80 levels) has no
 * differing cell, while the closest distinct drawing (a circle against a circle with a thin X)
 * has 3 of 4096.
 */
export const DEFAULT_PAIR_CHECK_OPTIONS: PairCheckOptions = { grid: 64, cellDifference: 80, keypoints: 500, minInliers: 8 };

/** Smallest cell side in pixels: finer cells would compare JPEG ringing rather than the picture. */
const MIN_CELL = 3;

export function prepareImage(image: RgbImage, keypoints = DEFAULT_PAIR_CHECK_OPTIONS.keypoints): PreparedImage {
  const { width: w, height: h, data } = image;
  const stride = (w + 1) * 3;
  // Uint32 holds 4096² · 255 exactly; prepared images are at most a few hundred pixels a side.
  const integral = new Uint32Array((w + 1) * (h + 1) * 3);
  for (let y = 0; y < h; y++) {
    let r = 0, g = 0, b = 0;
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      r += data[p]!; g += data[p + 1]!; b += data[p + 2]!;
      const o = (y + 1) * stride + (x + 1) * 3;
      integral[o] = integral[o - stride]! + r;
      integral[o + 1] = integral[o + 1 - stride]! + g;
      integral[o + 2] = integral[o + 2 - stride]! + b;
    }
  }
  let features: Promise<LocalFeatures> | null = null;
  return { width: w, height: h, integral, content: contentBox(image), features: () => (features ??= extractLocalFeatures(image, { maxKeypoints: keypoints })) };
}

/** Content box of a picture on a uniform background (see PreparedImage.content). */
export function contentBox(image: RgbImage): Box | null {
  const { width: w, height: h, data } = image;
  const corners = [0, w - 1, (h - 1) * w, h * w - 1].map((i) => [data[i * 3]!, data[i * 3 + 1]!, data[i * 3 + 2]!]);
  const bg = [0, 1, 2].map((c) => corners.reduce((a, p) => a + p[c]!, 0) / 4);
  if (corners.some((p) => p.some((v, c) => Math.abs(v - bg[c]!) > 16))) return null;
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      if (Math.abs(data[p]! - bg[0]!) > 32 || Math.abs(data[p + 1]! - bg[1]!) > 32 || Math.abs(data[p + 2]! - bg[2]!) > 32) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0 || x1 - x0 < 4 || y1 - y0 < 4) return null;
  if (x1 - x0 + 1 >= 0.98 * w && y1 - y0 + 1 >= 0.98 * h) return null;
  return { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** b's content box mapped onto a's: crops and resizes of a product on a plain background, even without corners for ORB. */
export function contentAlignment(a: PreparedImage, b: PreparedImage): Alignment | null {
  if (!a.content || !b.content) return null;
  const sx = (a.content.x1 - a.content.x0) / (b.content.x1 - b.content.x0);
  const sy = (a.content.y1 - a.content.y0) / (b.content.y1 - b.content.y0);
  return { sx, sy, tx: a.content.x0 - sx * b.content.x0, ty: a.content.y0 - sy * b.content.y0, source: 'content', inliers: 0 };
}

/** Mean colour of the rectangle [x0, x1) × [y0, y1) (pixel coordinates, clipped, bilinear-free: whole pixels). */
function meanColor(img: PreparedImage, x0: number, y0: number, x1: number, y1: number, out: Float64Array): boolean {
  const ax = Math.max(0, Math.min(img.width, Math.round(x0))), bx = Math.max(0, Math.min(img.width, Math.round(x1)));
  const ay = Math.max(0, Math.min(img.height, Math.round(y0))), by = Math.max(0, Math.min(img.height, Math.round(y1)));
  const area = (bx - ax) * (by - ay);
  if (area <= 0) return false;
  const stride = (img.width + 1) * 3;
  const s = img.integral;
  for (let c = 0; c < 3; c++) {
    out[c] = (s[by * stride + bx * 3 + c]! - s[ay * stride + bx * 3 + c]! - s[by * stride + ax * 3 + c]! + s[ay * stride + ax * 3 + c]!) / area;
  }
  return true;
}

/**
 * Cell-by-cell colour comparison of b mapped into a. Each cell of a is compared with the same
 * region of b and with that region shifted by half a cell in the 8 directions (the smallest
 * difference counts), so an alignment that is off by a few pixels does not read as a difference.
 */
export function compareAligned(a: PreparedImage, b: PreparedImage, t: Alignment, options: PairCheckOptions = DEFAULT_PAIR_CHECK_OPTIONS): PairComparison {
  let x0 = Math.max(0, t.tx), x1 = Math.min(a.width, t.sx * b.width + t.tx);
  let y0 = Math.max(0, t.ty), y1 = Math.min(a.height, t.sy * b.height + t.ty);
  let ow = x1 - x0, oh = y1 - y0;
  if (!(ow > 0 && oh > 0)) return { differing: 1, meanDifference: 255, cells: 0, overlap: 0, alignment: t };
  const overlap = (ow * oh) / Math.max(a.width * a.height, t.sx * t.sy * b.width * b.height);
  if (a.content && b.content) {
    // Products on a plain background: compare where either picture has content (plus a margin),
    // so a small product is not averaged away by the empty canvas around it.
    const m = 0.05 * Math.max(a.content.x1 - a.content.x0, a.content.y1 - a.content.y0);
    x0 = Math.max(x0, Math.min(a.content.x0, t.sx * b.content.x0 + t.tx) - m);
    x1 = Math.min(x1, Math.max(a.content.x1, t.sx * b.content.x1 + t.tx) + m);
    y0 = Math.max(y0, Math.min(a.content.y0, t.sy * b.content.y0 + t.ty) - m);
    y1 = Math.min(y1, Math.max(a.content.y1, t.sy * b.content.y1 + t.ty) + m);
    ow = x1 - x0;
    oh = y1 - y0;
    if (!(ow > 0 && oh > 0)) return { differing: 1, meanDifference: 255, cells: 0, overlap, alignment: t };
  }
  const cell = Math.max(MIN_CELL, Math.max(ow, oh) / options.grid);
  const nx = Math.max(1, Math.floor(ow / cell)), ny = Math.max(1, Math.floor(oh / cell));
  const ca = new Float64Array(3), cb = new Float64Array(3);
  const half = cell / 2;
  let differing = 0, cells = 0, total = 0;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const ax0 = x0 + i * cell, ay0 = y0 + j * cell;
      if (!meanColor(a, ax0, ay0, ax0 + cell, ay0 + cell, ca)) continue;
      let best = Infinity;
      for (let dy = -1; dy <= 1 && best > 0; dy++) {
        for (let dx = -1; dx <= 1 && best > 0; dx++) {
          const bx0 = (ax0 + dx * half - t.tx) / t.sx, by0 = (ay0 + dy * half - t.ty) / t.sy;
          if (!meanColor(b, bx0, by0, bx0 + cell / t.sx, by0 + cell / t.sy, cb)) continue;
          const d = Math.max(Math.abs(ca[0]! - cb[0]!), Math.abs(ca[1]! - cb[1]!), Math.abs(ca[2]! - cb[2]!));
          if (d < best) best = d;
        }
      }
      if (best === Infinity) continue;
      cells++;
      total += best;
      if (best > options.cellDifference) differing++;
    }
  }
  return { differing: cells > 0 ? differing / cells : 1, meanDifference: cells > 0 ? total / cells : 255, cells, overlap, alignment: t };
}

/** Whole frame of b scaled onto the whole frame of a: re-encoded, resized and watermarked copies. */
export function frameAlignment(a: PreparedImage, b: PreparedImage): Alignment {
  return { sx: a.width / b.width, sy: a.height / b.height, tx: 0, ty: 0, source: 'frame', inliers: 0 };
}

/**
 * Scale + translation of b into a from local features: ratio-test matches and RANSAC (the product
 * lookup's verifyCandidate, all descriptor pairs compared). verifyCandidate reports where the
 * bounding box of b's keypoints lands in a (clipped to a); the box and b's own keypoint box give
 * the scale and offset. Null when there are too few inliers or the box was clipped.
 */
export async function ransacAlignment(a: PreparedImage, b: PreparedImage, options: PairCheckOptions = DEFAULT_PAIR_CHECK_OPTIONS): Promise<Alignment | null> {
  const fa = await a.features(), fb = await b.features();
  if (fa.count < options.minInliers || fb.count < options.minInliers) return null;
  // Words and branches are only read when matching is bucketed by vocabulary branch; here it is not.
  const q = (f: LocalFeatures): QuantizedFeatures => ({ features: f, words: new Uint32Array(f.count), branches: new Uint8Array(f.count) });
  const v = await verifyCandidate(q(fa), q(fb), { ...DEFAULT_VERIFY_OPTIONS, bucketed: false });
  if (v.inliers < options.minInliers || !v.box) return null;
  let kx0 = Infinity, ky0 = Infinity, kx1 = -Infinity, ky1 = -Infinity;
  for (let i = 0; i < fb.count; i++) {
    const x = fb.xy[2 * i]!, y = fb.xy[2 * i + 1]!;
    kx0 = Math.min(kx0, x); kx1 = Math.max(kx1, x); ky0 = Math.min(ky0, y); ky1 = Math.max(ky1, y);
  }
  const { x, y, width, height } = v.box;
  const edge = 0.5;
  if (x <= edge || y <= edge || x + width >= a.width - edge || y + height >= a.height - edge) return null;
  if (kx1 - kx0 < 8 || ky1 - ky0 < 8) return null;
  const sx = width / (kx1 - kx0), sy = height / (ky1 - ky0);
  return { sx, sy, tx: x - sx * kx0, ty: y - sy * ky0, source: 'ransac', inliers: v.inliers };
}

function invert(t: Alignment): Alignment {
  return { ...t, sx: 1 / t.sx, sy: 1 / t.sy, tx: -t.tx / t.sx, ty: -t.ty / t.sy };
}

/**
 * The best agreement of a and b over the alignments tried: whole frame, then local features in
 * both directions (b into a, and a into b when the box of b's keypoints ran off a's edge, as
 * it does when a is the cropped one). Lowest share of differing cells wins, then lowest mean difference.
 */
export async function comparePair(a: PreparedImage, b: PreparedImage, options: PairCheckOptions = DEFAULT_PAIR_CHECK_OPTIONS): Promise<PairComparison> {
  let best = compareAligned(a, b, frameAlignment(a, b), options);
  if (best.differing === 0 && best.meanDifference < 1) return best; // same frame, same colours
  const ab = await ransacAlignment(a, b, options);
  const candidates: Alignment[] = [];
  const byContent = contentAlignment(a, b);
  if (byContent) candidates.push(byContent);
  if (ab) candidates.push(ab);
  else {
    const ba = await ransacAlignment(b, a, options);
    if (ba) candidates.push(invert(ba));
  }
  for (const t of candidates) {
    const c = compareAligned(a, b, t, options);
    if (c.differing < best.differing || (c.differing === best.differing && c.meanDifference < best.meanDifference)) best = c;
  }
  return best;
}
