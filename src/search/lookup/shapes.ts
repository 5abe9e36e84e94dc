import { backdropColoured, findBackdrop } from '../../imaging/backdrop.js';
import { DEFAULT_FLAT_REGION_OPTIONS, flatFrame, meanAround, regionShapes, type RegionShape } from '../../imaging/flat-regions.js';
import type { LocalFeatures } from '../../features/local/local-features.js';
import type { FractionBox } from '../../imaging/subject.js';
import type { RgbImage } from '../../imaging/types.js';
import { sameColourUnderLight } from './colour.js';
import { layoutFit } from './layouts.js';

/**
 * Lookup of flat drawings by their shape and colours: a CD, a clock, a curved arrow or a beer glass
 * drawn in flat colour has smooth outlines and few corners, so keypoints find little of it, but its
 * regions of one colour are still there in a photo, whole, turned and scaled alike. A catalogue
 * image keeps its product's largest flat regions (anchors: size, centre, second moments and a few
 * of their pixels) and the product's colours at ~200 points. In a photo (scaled to 320 px and
 * median-filtered, as for the colour layouts) every flat region of a similar shape proposes where
 * an anchor lies, so where the product lies (centre, scale and turn); a proposal whose anchor's
 * pixels fall on that region is read at the product's points and fitted like a colour layout (one
 * gain for the three channels, an offset per channel), then refined. A good fit ranks the product
 * (with its box), it never claims "exact": by chance a two-colour drawing fits a fair share of a
 * cluttered photo's colours. A gradient fill is bands of flat colour whose edges move with the
 * light, so each image also keeps up to two regions grown across gradients (level 1), placed by
 * the photo's regions grown the same way.
 */

/** A catalogue image's product shape as stored with its local features. */
export type ProductShape = NonNullable<LocalFeatures['shape']>;
/** One of its flat regions, with the points it is recognised by. */
export type ShapeAnchor = ProductShape['anchors'][number];

export interface ShapeOptions {
  /** Longest side images are scaled to before their flat regions are found (the catalogue's too). */
  side: number;
  /** Least share of the photo's colour variance under a product's points that ranks the product. */
  minFit: number;
  /** How many of the best placements (one per catalogue image) are refined before the ranking. */
  refine: number;
  /**
   * Least fit of a placement on a fifth of the product's points for it to be fitted on all of them
   * and to be refined. An anchor's centre and moments place the product only roughly, and the
   * refinement can raise its fit by 0.4 (a page of text lines on a table: 0.84 refined from below
   * 0.45). Tuning sets (seeds 3, 4, 7, 8; 300 photos each) with 0.3 instead of minFit − 0.15:
   * recall@1 +1 of 1,200 at 1k and at 10k, recall@10 +1 and +2, none lost; lookup p95 +3% at 10k.
   */
  quickFit: number;
}

export const DEFAULT_SHAPE_OPTIONS: ShapeOptions = { side: 320, minFit: 0.6, refine: 20, quickFit: 0.3 };

/** Points a product's colours are kept at, and pixels per anchor. */
const PRODUCT_POINTS = 200;
const ANCHOR_POINTS = 40;
/** Anchors per product: its largest regions covering at least ANCHOR_SHARE of it, and of those grown across gradients. */
const MAX_ANCHORS = 4;
const GRADIENT_ANCHORS = 2;
const ANCHOR_SHARE = 0.03;
/** Least size of an outlined shape's inside (an anchor of INTERIOR_LEVEL), against the drawing's own. */
const INTERIOR_SHARE = 1;
/** ShapeAnchor.level of an outlined shape's inside (placed by the photo's flat regions, as level 0). */
const INTERIOR_LEVEL = 2;
/** Pixels kept of an outlined shape's inside: it is most of the product's face in the solid fit. */
const FACE_POINTS = 160;
/** Least photo region, as a share of the photo. */
const PHOTO_REGION_SHARE = 0.001;
/** Largest differences of log elongation and log spread between a photo region and an anchor. */
const ELONGATION_TOLERANCE = 0.35;
const SPREAD_TOLERANCE = 0.3;
/** Below this elongation a region has no direction to turn the product by: turns are tried. */
const ROUND = 1.25;
/** Share of an anchor's pixels that must fall on the photo region, and of the product's points inside the photo. */
const ANCHOR_HIT = 0.7;
const INSIDE = 0.75;
/** Least and largest size of a placed product (its longest side) against the photo's shorter and longer side. */
const SMALLEST = 0.2;
const LARGEST = 1.2;
/** The quick first fit of a placement (ShapeOptions.quickFit): every QUICK_STRIDE-th point. */
const QUICK_STRIDE = 5;
/** Least spread of a product's colours (mean per-channel standard deviation): one colour cannot be fitted. */
const MIN_COLOUR_SPREAD = 8;

/** A catalogue image whose product shape explains a place in the photo. */
export interface ShapeMatch {
  key: number;
  /** Share of the photo's colour variance at the product's points that its colours explain. */
  fit: number;
  /** The placed product's bounding box, as fractions of the photo. */
  box: FractionBox;
}

/**
 * The product shape of a catalogue image (the product on a plain backdrop), in the frame of the
 * image scaled to `side`, without the pixels of the backdrop's colour; null without a plain
 * backdrop, for a tiny product, or a product of one colour.
 */
export async function productShape(image: RgbImage, side = DEFAULT_SHAPE_OPTIONS.side): Promise<ProductShape | null> {
  const small = await flatFrame(image, side);
  const { width: w, height: h } = small;
  const backdrop = findBackdrop(small);
  if (backdrop.share < 0.02) return null;
  // The backdrop's colour inside the product too (the hole of a CD, a white label): in a photo it
  // may be the table seen through, or white; the shape does not count on it either way.
  const mask = new Uint8Array(w * h);
  for (let p = 0; p < w * h; p++) mask[p] = backdrop.mask[p] || backdropColoured(small, p, backdrop.colour) ? 1 : 0;
  let area = 0, x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let p = 0; p < w * h; p++) {
    if (mask[p]) continue;
    area++;
    const x = p % w, y = (p - x) / w;
    if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
  }
  if (area < 200) return null;
  const { label, regions } = regionShapes(small, DEFAULT_FLAT_REGION_OPTIONS.step, ANCHOR_SHARE * area, (p) => !mask[p]);
  const anchors: ShapeAnchor[] = regions.sort((a, b) => b.area - a.area).slice(0, MAX_ANCHORS).map((r) => ({ ...stored(r), points: regionPixels(label, w, r, ANCHOR_POINTS) }));
  // A gradient fill (a green-to-yellow arrow) is bands of flat colour whose edges move with the
  // light; grown across gradients it is one region, bounded by its outline, in a photo too.
  const grown = regionShapes(small, DEFAULT_FLAT_REGION_OPTIONS.step, ANCHOR_SHARE * area, (p) => !mask[p], Infinity);
  for (const r of grown.regions.sort((a, b) => b.area - a.area).slice(0, GRADIENT_ANCHORS)) {
    if (anchors.some((a) => Math.abs(a.area / r.area - 1) < 0.05 && Math.hypot(a.cx - r.cx, a.cy - r.cy) < 2)) continue; // a flat region already
    anchors.push({ ...stored(r), points: regionPixels(grown.label, w, r, ANCHOR_POINTS), level: 1 });
  }
  // An outlined shape (a square drawn as its black border): its inside, of the backdrop's colour and
  // larger than the drawing itself, is the product's face. In a photo it is one flat region the
  // thin border is not, and it places the product; the fit then counts it as the product's colour
  // too (the solid fit, ShapeIndex), as well as without it (an outline drawn on glass).
  const interior = regionShapes(small, DEFAULT_FLAT_REGION_OPTIONS.step, INTERIOR_SHARE * area, (p) => mask[p] === 1 && !backdrop.mask[p]);
  const face = interior.regions.sort((a, b) => b.area - a.area)[0];
  if (face) anchors.push({ ...stored(face), points: regionPixels(interior.label, w, face, FACE_POINTS), level: INTERIOR_LEVEL });
  if (anchors.length === 0) return null;
  const step = Math.max(1, Math.sqrt(area / PRODUCT_POINTS));
  const points: number[] = [];
  const colours: number[] = [];
  const rgb = new Uint8Array(3);
  for (let y = y0; y <= y1; y += step) {
    for (let x = x0; x <= x1; x += step) {
      const xi = Math.round(x), yi = Math.round(y);
      // Inside the product only: at its edge the 3×3 mean mixes in the backdrop here, the table there.
      if (!inside(mask, w, h, xi, yi) || !meanAround(small, xi, yi, rgb, 0)) continue;
      points.push(xi, yi);
      colours.push(rgb[0]!, rgb[1]!, rgb[2]!);
    }
  }
  if (colourSpread(face ? [...colours, ...face.colour.map(Math.round)] : colours) < MIN_COLOUR_SPREAD) return null;
  return { extent: Math.fround(Math.max(x1 - x0 + 1, y1 - y0 + 1)), points: Uint16Array.from(points), colours: Uint8Array.from(colours), anchors };
}

/** Whether the pixel and its eight neighbours are all off the backdrop. */
function inside(mask: Uint8Array, w: number, h: number, x: number, y: number): boolean {
  if (x < 1 || y < 1 || x >= w - 1 || y >= h - 1) return false;
  for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (mask[(y + dy) * w + x + dx]) return false;
  return true;
}

/** A region as stored: float32 numbers and a whole-number colour, so a reloaded shape is the same. */
function stored(r: RegionShape): Omit<RegionShape, 'id'> {
  const f = Math.fround;
  return { area: f(r.area), cx: f(r.cx), cy: f(r.cy), theta: f(r.theta), elongation: f(r.elongation), spread: f(r.spread), colour: r.colour.map((c) => Math.round(c)) as [number, number, number] };
}

/** About `count` of a region's pixels, evenly in raster order, as x, y pairs. */
function regionPixels(label: Int32Array, w: number, r: RegionShape, count: number): Uint16Array {
  const every = Math.max(1, Math.floor(r.area / count));
  const out: number[] = [];
  for (let p = 0, seen = 0; p < label.length; p++) {
    if (label[p] !== r.id) continue;
    if (seen++ % every === 0) out.push(p % w, Math.floor(p / w));
  }
  return Uint16Array.from(out);
}

/** Mean per-channel standard deviation of RGB triples. */
function colourSpread(rgb: number[]): number {
  const n = rgb.length / 3;
  let spread = 0;
  for (let c = 0; c < 3; c++) {
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) { const v = rgb[3 * i + c]!; s += v; s2 += v * v; }
    spread += Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)) / 3;
  }
  return spread;
}

/** Where a product lies in the photo: its anchor's centre (ax, ay) placed at (px, py), scaled and turned. */
interface Placement {
  px: number;
  py: number;
  ax: number;
  ay: number;
  scale: number;
  turn: number;
}

/** Catalogue product shapes in memory (~2 KB per catalogue image), their anchors sorted by spread. */
export class ShapeIndex {
  /** `solid`: the shape with its inside's points in its colour, for an outlined shape (INTERIOR_LEVEL). */
  private readonly entries: { key: number; shape: ProductShape; solid: ProductShape | null }[] = [];
  private anchors: { entry: number; anchor: ShapeAnchor; logSpread: number }[] = [];
  private sorted = true;

  /** Whether any anchor was grown across gradients (features of format 9). */
  private gradients = false;

  add(key: number, shape: ProductShape): void {
    if (shape.anchors.some((a) => a.level === 1)) this.gradients = true;
    const entry = this.entries.push({ key, shape, solid: solidShape(shape) }) - 1;
    for (const anchor of shape.anchors) this.anchors.push({ entry, anchor, logSpread: Math.log(anchor.spread) });
    this.sorted = false;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Bytes held: points, colours and anchors, plus a few numbers each. */
  get memoryBytes(): number {
    return this.entries.reduce((n, { shape }) => n + shape.points.byteLength + shape.colours.byteLength + 16 + shape.anchors.reduce((a, x) => a + x.points.byteLength + 56, 0), 0);
  }

  /**
   * Catalogue images whose product shape explains a place in the photo by at least `minFit`, best
   * first. The product may be turned by up to `maxTurn` degrees. `accept` filters catalogue keys.
   */
  async match(photo: RgbImage, options: ShapeOptions, maxTurn: number, accept?: (key: number) => boolean): Promise<ShapeMatch[]> {
    return this.entries.length === 0 ? [] : this.matchFrame(await flatFrame(photo, options.side), options, maxTurn, accept);
  }

  /** match() on the photo's flat frame (flatFrame at options.side), for a caller that has it already. */
  matchFrame(small: RgbImage, options: ShapeOptions, maxTurn: number, accept?: (key: number) => boolean): ShapeMatch[] {
    if (this.entries.length === 0) return [];
    if (!this.sorted) {
      this.anchors.sort((a, b) => a.logSpread - b.logSpread);
      this.sorted = true;
    }
    const { width: w, height: h } = small;
    // The photo's regions at both levels: flat (level 0), and grown across gradients (level 1).
    const minArea = Math.max(16, PHOTO_REGION_SHARE * w * h);
    const levels = [regionShapes(small, DEFAULT_FLAT_REGION_OPTIONS.step, minArea), ...(this.gradients ? [regionShapes(small, DEFAULT_FLAT_REGION_OPTIONS.step, minArea, undefined, Infinity)] : [])];
    const fitter = new Fitter(small);
    const accepted = new Map<number, boolean>();
    // Per catalogue image (entry index): its best placement, and which of its shapes fitted there (as drawn, or solid).
    const best = new Map<number, { fit: number; placement: Placement; fitted: ProductShape }>();
    const limit = (maxTurn * Math.PI) / 180;
    const turns: number[] = [];
    for (let t = -Math.floor(maxTurn / 10) * 10; t <= maxTurn; t += 10) turns.push((t * Math.PI) / 180);
    for (const [level, { label, regions }] of levels.entries()) for (const region of regions) {
      const logSpread = Math.log(region.spread);
      for (let i = lowerBound(this.anchors, logSpread - SPREAD_TOLERANCE); i < this.anchors.length; i++) {
        const { entry, anchor, logSpread: s } = this.anchors[i]!;
        if (s > logSpread + SPREAD_TOLERANCE) break;
        if ((anchor.level === INTERIOR_LEVEL ? 0 : anchor.level ?? 0) !== level) continue;
        if (Math.abs(Math.log(region.elongation / anchor.elongation)) > ELONGATION_TOLERANCE) continue;
        if (!sameColourUnderLight(region.colour, anchor.colour)) continue;
        const { key, shape, solid } = this.entries[entry]!;
        const scale = Math.sqrt(region.area / anchor.area);
        const placed = scale * shape.extent;
        if (placed < SMALLEST * Math.min(w, h) || placed > LARGEST * Math.max(w, h)) continue;
        if (accept) {
          let ok = accepted.get(key);
          if (ok === undefined) accepted.set(key, (ok = accept(key)));
          if (!ok) continue;
        }
        let candidates = turns;
        if (Math.min(region.elongation, anchor.elongation) > ROUND) {
          // The long axes give the turn, up to half a turn: the one within reach.
          let turn = region.theta - anchor.theta;
          while (turn > Math.PI / 2) turn -= Math.PI;
          while (turn <= -Math.PI / 2) turn += Math.PI;
          if (Math.abs(turn) > limit) continue;
          candidates = [turn];
        }
        // A round anchor lands on the region alike at every turn: it is tried once.
        let landed: boolean | undefined;
        for (const turn of candidates) {
          const placement = { px: region.cx, py: region.cy, ax: anchor.cx, ay: anchor.cy, scale, turn };
          if (landed === undefined || candidates.length === 1) landed = onRegion(label, w, h, region.id, anchor.points, placement);
          if (!landed) break;
          // A fifth of the points first: most placements are plainly wrong.
          for (const fitted of solid ? [shape, solid] : [shape]) {
            if (fitter.fit(fitted, placement, QUICK_STRIDE) < options.quickFit) continue;
            const fit = fitter.fit(fitted, placement);
            if (fit > (best.get(entry)?.fit ?? 0)) best.set(entry, { fit, placement, fitted });
          }
        }
      }
    }
    // The best placements are refined (position, scale and turn in shrinking steps): the anchor's
    // centre and moments place the product only roughly.
    const ranked = [...best.entries()].sort((a, b) => b[1].fit - a[1].fit);
    for (const [, b] of ranked.slice(0, options.refine)) Object.assign(b, fitter.refine(b.fitted, b.placement, b.fit, limit));
    const out: ShapeMatch[] = [];
    for (const [entry, b] of ranked) {
      if (b.fit < options.minFit) continue;
      const { key, shape } = this.entries[entry]!;
      out.push({ key, fit: b.fit, box: placedBox(shape, b.placement, w, h) });
    }
    return out.sort((a, b) => b.fit - a.fit);
  }
}

/** The shape with its inside (the INTERIOR_LEVEL anchor's points, in its colour) among its points; null without one. */
function solidShape(shape: ProductShape): ProductShape | null {
  const face = shape.anchors.find((a) => a.level === INTERIOR_LEVEL);
  if (!face) return null;
  const n = face.points.length / 2;
  const points = new Uint16Array(shape.points.length + face.points.length);
  points.set(shape.points);
  points.set(face.points, shape.points.length);
  const colours = new Uint8Array(shape.colours.length + 3 * n);
  colours.set(shape.colours);
  for (let i = 0; i < n; i++) colours.set(face.colour, shape.colours.length + 3 * i);
  return { ...shape, points, colours };
}

/** First index whose logSpread is at least `v` (anchors sorted by it). */
function lowerBound(a: { logSpread: number }[], v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]!.logSpread < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The placement as an affine map of catalogue points: x' = a·x − b·y + tx, y' = b·x + a·y + ty. */
function affine(p: Placement): [number, number, number, number] {
  const a = Math.cos(p.turn) * p.scale, b = Math.sin(p.turn) * p.scale;
  return [a, b, p.px - a * p.ax + b * p.ay, p.py - b * p.ax - a * p.ay];
}

/** Whether ANCHOR_HIT of an anchor's pixels land on the photo region `id` under the placement. */
function onRegion(label: Int32Array, w: number, h: number, id: number, points: Uint16Array, p: Placement): boolean {
  const n = points.length / 2;
  const [a, b, tx, ty] = affine(p);
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i]!, y = points[2 * i + 1]!;
    const xi = Math.round(a * x - b * y + tx), yi = Math.round(b * x + a * y + ty);
    if (xi >= 0 && yi >= 0 && xi < w && yi < h && label[yi * w + xi] === id) hit++;
    else if (i - hit > (1 - ANCHOR_HIT) * n) return false;
  }
  return hit >= ANCHOR_HIT * n;
}

/** The placed product's bounding box as fractions of the photo, clipped to it. */
function placedBox(shape: ProductShape, p: Placement, w: number, h: number): FractionBox {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const [a, b, tx, ty] = affine(p);
  for (let i = 0; i < shape.points.length; i += 2) {
    const u = shape.points[i]!, v = shape.points[i + 1]!;
    const x = a * u - b * v + tx, y = b * u + a * v + ty;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  x0 = Math.max(0, x0); y0 = Math.max(0, y0); x1 = Math.min(w, x1 + 1); y1 = Math.min(h, y1 + 1);
  return { x: x0 / w, y: y0 / h, width: Math.max(0, x1 - x0) / w, height: Math.max(0, y1 - y0) / h };
}

/** Colour fits of placed products in one photo frame, with reusable buffers. */
class Fitter {
  private under = new Uint8Array(0);
  private colours = new Uint8Array(0);
  /** The photo's 3×3 mean colours (meanAround at every pixel), read once per point. */
  private readonly mean: Uint8Array;

  constructor(private readonly photo: RgbImage) {
    const { width: w, height: h } = photo;
    this.mean = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) meanAround(photo, x, y, this.mean, 3 * (y * w + x));
  }

  /**
   * layoutFit of the photo's colours at the product's points (every `stride`-th) against the
   * product's; 0 when fewer than INSIDE of them are in the photo.
   */
  fit(shape: ProductShape, p: Placement, stride = 1): number {
    const n = shape.points.length / 2;
    if (this.under.length < 3 * n) {
      this.under = new Uint8Array(3 * n);
      this.colours = new Uint8Array(3 * n);
    }
    const { width: w, height: h } = this.photo;
    const [a, b, tx, ty] = affine(p);
    const { under, colours, mean } = this;
    let k = 0, tried = 0;
    for (let i = 0; i < n; i += stride, tried++) {
      const u = shape.points[2 * i]!, v = shape.points[2 * i + 1]!;
      const xi = Math.round(a * u - b * v + tx), yi = Math.round(b * u + a * v + ty);
      if (xi < 0 || yi < 0 || xi >= w || yi >= h) continue;
      const o = 3 * (yi * w + xi);
      under[3 * k] = mean[o]!; under[3 * k + 1] = mean[o + 1]!; under[3 * k + 2] = mean[o + 2]!;
      colours[3 * k] = shape.colours[3 * i]!; colours[3 * k + 1] = shape.colours[3 * i + 1]!; colours[3 * k + 2] = shape.colours[3 * i + 2]!;
      k++;
    }
    return k < INSIDE * tried ? 0 : layoutFit(under.subarray(0, 3 * k), colours.subarray(0, 3 * k));
  }

  /** Coordinate ascent over position, scale and turn (within ±limit radians) in three shrinking steps. */
  refine(shape: ProductShape, start: Placement, startFit: number, limit: number): { fit: number; placement: Placement } {
    let placement = start, fit = startFit;
    for (const [move, grow, turn] of REFINE_STEPS) {
      for (let round = 0; round < 4; round++) {
        let moved = false;
        const tries: Partial<Placement>[] = [
          { px: placement.px + move }, { px: placement.px - move }, { py: placement.py + move }, { py: placement.py - move },
          { scale: placement.scale * (1 + grow) }, { scale: placement.scale * (1 - grow) },
          { turn: Math.min(limit, placement.turn + turn) }, { turn: Math.max(-limit, placement.turn - turn) },
        ];
        for (const t of tries) {
          const next = { ...placement, ...t };
          const f = this.fit(shape, next);
          if (f > fit) {
            fit = f;
            placement = next;
            moved = true;
          }
        }
        if (!moved) break;
      }
    }
    return { fit, placement };
  }
}

/** Refinement steps: pixels (of the 320-px frame), relative scale, radians. */
const REFINE_STEPS: readonly (readonly [number, number, number])[] = [[3, 0.06, 0.06], [1.5, 0.03, 0.03], [0.75, 0.015, 0.015]];
