import { findBackdrop } from '../../imaging/backdrop.js';
import { distanceTransform } from '../../imaging/distance-transform.js';
import { resample } from '../../imaging/index.js';
import { boxOverlap, type FractionBox } from '../../imaging/subject.js';
import type { RgbImage } from '../../imaging/types.js';
import type { LocalFeatures } from '../../features/local/local-features.js';
import { hueOf } from './colour.js';

/**
 * Lookup of line drawings by their strokes: an arrow drawn as a red outline is a thin line of one
 * colour. Keypoints find nothing on it (an ORB patch on a thin stroke is mostly the backdrop: white
 * in the catalogue, the table in a photo, where the inside of the outline shows the table too), and
 * it has no flat region whose shape a photo keeps (shapes.ts). What a photo keeps is the stroke: a
 * thin line of about the catalogue's colour under the light. A catalogue image whose product is
 * such a drawing (on a plain backdrop, hardly any ink more than STROKE_DEPTH px from the backdrop
 * at TEMPLATE_SIDE, strokes not packed into a texture, coloured) keeps points on its strokes and points beside them (its halo, where a
 * photo shows no stroke colour). In a photo (scaled to `side`) the pixels of the stroke's colour
 * under the light form a mask; the drawing is placed over it at every size, turn and position
 * (chamfer matching on the mask's distance transform: on the mask pooled 4×4, then hill-climbing on
 * it pooled 2×2 and at full size), and fits by the share of its stroke points on the mask less the
 * share of its halo points on it: a filled patch of the colour covers the halo as well as the
 * strokes. A good fit ranks the product with its box; it never claims "exact". Black line drawings
 * are left out: in a cluttered photo every outline is black (tuning sets: the right drawings fitted
 * 0.30, wrong ones up to 0.74).
 */

/** A catalogue image's line drawing as stored with its local features. */
export type ProductOutline = NonNullable<LocalFeatures['outline']>;

export interface OutlineOptions {
  /** Longest side a photo is scaled to before its strokes are looked for. */
  side: number;
  /** Least fit (stroke points on the colour less halo points on it) that ranks the product. */
  minFit: number;
  /** Least and largest size of the placed product (its longest side) against the photo's shorter side. */
  smallest: number;
  largest: number;
}

export const DEFAULT_OUTLINE_OPTIONS: OutlineOptions = { side: 320, minFit: 0.8, smallest: 0.3, largest: 0.9 };

/** A catalogue image whose line drawing is in the photo. */
export interface OutlineMatch {
  key: number;
  fit: number;
  /** The placed product's bounding box, as fractions of the photo. */
  box: FractionBox;
}

/** Longest side a catalogue image is scaled to for its strokes. */
const TEMPLATE_SIDE = 200;
/** Least difference (largest channel) from the backdrop's colour of a pixel of ink. */
const INK_CONTRAST = 70;
/** Ink farther than this from the backdrop (px at TEMPLATE_SIDE) is not a stroke; at most DEEP_SHARE of the ink may be. */
const STROKE_DEPTH = 3;
const DEEP_SHARE = 0.15;
/** Least ink pixels at TEMPLATE_SIDE. */
const MIN_INK = 100;
/** Least chroma (largest minus smallest channel) of the strokes' colour: a black line drawing is every outline in a cluttered photo. */
const MIN_CHROMA = 60;
/** One stroke point per CELL×CELL pixels of ink; halo points where the ink is HALO_NEAR–HALO_FAR px away. */
const CELL = 4;
const HALO_NEAR = 3;
const HALO_FAR = 6;
/**
 * Least halo points per stroke point. Strokes packed closer than that (a playing card's lattice, a
 * rainbow's bands) are a texture, which any patch of the colour fits: at 10k such a card back fitted
 * 0.80–0.88 in many photos. Outlines have at least 0.96 (10k catalogue), the packed drawings 0.21–0.66.
 */
const MIN_HALO_SHARE = 0.8;
/** Stored coordinates: fractions of the drawing's longest side × COORD_SCALE, as int8. */
const COORD_SCALE = 200;

/**
 * The strokes of a catalogue image's product (a line drawing on a plain backdrop), or null when the
 * product is not one: filled regions, too little ink, or black/grey strokes.
 */
export function productOutline(image: RgbImage): ProductOutline | null {
  const s = TEMPLATE_SIDE / Math.max(image.width, image.height);
  const small = s < 1 ? resample(image, Math.max(1, Math.round(image.width * s)), Math.max(1, Math.round(image.height * s))) : image;
  const { width: w, height: h, data } = small;
  const backdrop = findBackdrop(small);
  if (backdrop.share < 0.02) return null;
  const [br, bg, bb] = backdrop.colour;
  const ink = new Uint8Array(w * h);
  let n = 0, x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let i = 0; i < w * h; i++) {
    if (Math.max(Math.abs(data[3 * i]! - br), Math.abs(data[3 * i + 1]! - bg), Math.abs(data[3 * i + 2]! - bb)) <= INK_CONTRAST) continue;
    ink[i] = 1;
    n++;
    const x = i % w, y = (i - x) / w;
    if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
  }
  if (n < MIN_INK) return null;
  const toBackdrop = distanceTransform(ink.map((v) => 1 - v), w, h);
  let deep = 0;
  for (let i = 0; i < w * h; i++) if (ink[i] && toBackdrop[i]! > STROKE_DEPTH) deep++;
  if (deep > DEEP_SHARE * n) return null;
  const toInk = distanceTransform(ink, w, h);
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, extent = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const strokes: number[] = [], halo: number[] = [], colours: number[][] = [];
  const quantise = (x: number, y: number, out: number[]): void => { out.push(Math.round(((x - cx) / extent) * COORD_SCALE), Math.round(((y - cy) / extent) * COORD_SCALE)); };
  for (let gy = Math.max(0, y0 - HALO_FAR); gy <= Math.min(h - 1, y1 + HALO_FAR); gy += CELL) {
    for (let gx = Math.max(0, x0 - HALO_FAR); gx <= Math.min(w - 1, x1 + HALO_FAR); gx += CELL) {
      let onInk = -1, beside = -1;
      for (let y = gy; y < Math.min(gy + CELL, h); y++) {
        for (let x = gx; x < Math.min(gx + CELL, w); x++) {
          const i = y * w + x;
          if (ink[i]) onInk = i;
          else if (toInk[i]! >= HALO_NEAR && toInk[i]! <= HALO_FAR) beside = i;
        }
      }
      if (onInk >= 0) {
        quantise(onInk % w, Math.floor(onInk / w), strokes);
        colours.push([data[3 * onInk]!, data[3 * onInk + 1]!, data[3 * onInk + 2]!]);
      }
      if (beside >= 0) quantise(beside % w, Math.floor(beside / w), halo);
    }
  }
  if (halo.length < MIN_HALO_SHARE * strokes.length) return null;
  const colour = [0, 1, 2].map((c) => colours.map((v) => v[c]!).sort((a, b) => a - b)[colours.length >> 1]!) as [number, number, number];
  if (Math.max(...colour) - Math.min(...colour) < MIN_CHROMA) return null;
  return { colour, extent, strokes: Int8Array.from(strokes), halo: Int8Array.from(halo) };
}

/**
 * Whether a photo pixel can be a stroke of `colour` under the photo's light (saturation 0.6–1.4,
 * brightness 0.65–1.25, hue ±20°, per-channel gains and offsets, blur): a hue within STROKE_HUE, at
 * least STROKE_CHROMA of the stroke's chroma, and a lightness within STROKE_LIGHT times. Stricter
 * than sameColourUnderLight (colour.ts), which lets a greyish table pass for a red stroke.
 */
function strokeColoured(lum: number, chroma: number, hue: number, c: StrokeColour): boolean {
  if (chroma < STROKE_CHROMA * c.chroma) return false;
  const d = Math.abs(hue - c.hue);
  if (Math.min(d, 360 - d) > STROKE_HUE) return false;
  return Math.max(lum, c.lum) / Math.max(1, Math.min(lum, c.lum)) <= STROKE_LIGHT;
}
const STROKE_HUE = 40;
const STROKE_CHROMA = 0.45;
const STROKE_LIGHT = 2.2;

interface StrokeColour { lum: number; chroma: number; hue: number }

function describe(r: number, g: number, b: number): StrokeColour {
  return { lum: (r + g + b) / 3, chroma: Math.max(r, g, b) - Math.min(r, g, b), hue: hueOf(r, g, b) };
}

/**
 * A mask's distance transform at one level of the pyramid, and capped at CAP in half pixels
 * (HALF_CAP) with a margin of `pad` px all round (HALF_CAP: nothing of the colour beyond the photo),
 * `stride` wide, so a drawing's points are read without bounds checks.
 */
interface Level { d: Float32Array; capped: Uint8Array; w: number; h: number; scale: number; pad: number; stride: number }

function level(mask: Uint8Array, w: number, h: number, scale: number): Level {
  const d = distanceTransform(mask, w, h);
  const pad = Math.ceil(PAD_SHARE * Math.max(w, h)), stride = w + 2 * pad;
  const capped = new Uint8Array(stride * (h + 2 * pad)).fill(HALF_CAP);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) capped[(y + pad) * stride + x + pad] = Math.min(HALF_CAP, Math.round(2 * d[y * w + x]!));
  return { d, capped, w, h, scale, pad, stride };
}
/** The margin as a share of a level's longer side: more than a placed drawing reaches beyond the photo (its strokes stay inside, its halo and a turn add little). */
const PAD_SHARE = 0.6;

/** The photo at `side`, described per pixel once, with the masks of the colours asked so far. */
class StrokeFrame {
  readonly width: number;
  readonly height: number;
  private readonly lum: Float32Array;
  private readonly chroma: Float32Array;
  private readonly hue: Float32Array;
  private readonly masks = new Map<string, { mask: Uint8Array; half: Level; quarter: Level; count: number; full?: Level }>();

  constructor(photo: RgbImage) {
    const { width: w, height: h, data } = photo;
    this.width = w;
    this.height = h;
    this.lum = new Float32Array(w * h);
    this.chroma = new Float32Array(w * h);
    this.hue = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) {
      const c = describe(data[3 * i]!, data[3 * i + 1]!, data[3 * i + 2]!);
      this.lum[i] = c.lum;
      this.chroma[i] = c.chroma;
      this.hue[i] = c.hue;
    }
  }

  /**
   * Distances to the pixels of a stroke colour pooled 2×2 and 4×4 (a pooled pixel is set when any
   * of its pixels is), with the count of the coarsest level's set pixels.
   */
  distances(colour: readonly number[]): { half: Level; quarter: Level; count: number } {
    const key = StrokeFrame.key(colour);
    const known = this.masks.get(key);
    if (known) return known;
    const c = describe(...(key.split(',').map(Number) as [number, number, number]));
    const { width: w, height: h } = this;
    const mask = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) if (strokeColoured(this.lum[i]!, this.chroma[i]!, this.hue[i]!, c)) mask[i] = 1;
    const half = pool(mask, w, h), quarter = pool(half.mask, half.w, half.h);
    let count = 0;
    for (const v of quarter.mask) count += v;
    const out = { mask, half: level(half.mask, half.w, half.h, 2), quarter: level(quarter.mask, quarter.w, quarter.h, 4), count };
    this.masks.set(key, out);
    return out;
  }

  /** Distances to the pixels of a stroke colour at full size (made when first asked). */
  full(colour: readonly number[]): Level {
    this.distances(colour);
    const m = this.masks.get(StrokeFrame.key(colour))!;
    m.full ??= level(m.mask, this.width, this.height, 1);
    return m.full;
  }

  /** Colours 16 levels apart per channel share a mask, made for the middle of their bin. */
  private static key(colour: readonly number[]): string {
    return colour.map((c) => (c >> 4) * 16 + 8).join(',');
  }
}

/** A mask pooled 2×2: set where any of the four is. */
function pool(mask: Uint8Array, w: number, h: number): { mask: Uint8Array; w: number; h: number } {
  const pw = w >> 1, ph = h >> 1;
  const out = new Uint8Array(pw * ph);
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const i = 2 * y * w + 2 * x;
      if (mask[i] || mask[i + 1] || mask[i + w] || mask[i + w + 1]) out[y * pw + x] = 1;
    }
  }
  return { mask: out, w: pw, h: ph };
}

/** A placement of a drawing: its longest side in pixels, turn in degrees, centre (pixels of the level it was found at). */
interface Pose { extent: number; turn: number; x: number; y: number }

/**
 * The search, coarse to fine. On the 4×4-pooled mask: sizes SIZE_STEP apart, turns TURN_STEP
 * degrees apart, every COARSE_STRIDE-th pixel, with COARSE_POINTS stroke and COARSE_HALO halo
 * points and distances capped at CAP; the KEEP best placements climb on the 2×2-pooled mask (1 px,
 * half a size step, half a turn step at a time), the best of those on the full-size mask with every
 * point, where it fits by the share of stroke points within ON_STROKE px of the
 * colour less the share of halo points on it.
 */
const SIZE_STEP = 1.18;
const TURN_STEP = 10;
const COARSE_STRIDE = 2;
const CAP = 3;
const HALF_CAP = 2 * CAP;
const COARSE_POINTS = 40;
const COARSE_HALO = 30;
const KEEP = 20;
/** Stroke points tried before a placement whose first points are mostly off the colour is dropped. */
const FIRST_POINTS = 4;
/** Least coarse score worth keeping: a fit of minFit scores well above it. */
const COARSE_LEAST = 0.4;
const ON_STROKE = 1.5;
/** Most rounds of a hill-climbing. */
const CLIMB_ROUNDS = 6;
/** Share of the smaller of two placed drawings' boxes inside the other above which they are placed on the same strokes. */
const SAME_PLACE = 0.6;
/** Least score on the 2×2-pooled mask worth refining at full size: the drawings that fit minFit there score well above it. */
const HALF_LEAST = 0.5;

/** The drawings of a catalogue's line-drawn products, matched against photos. */
export class OutlineIndex {
  private readonly entries: { key: number; outline: ProductOutline; coarse: { strokes: Int8Array; halo: Int8Array } }[] = [];

  add(key: number, outline: ProductOutline): void {
    if (outline.strokes.length >= 2) this.entries.push({ key, outline, coarse: { strokes: spread(outline.strokes, COARSE_POINTS), halo: spread(outline.halo, COARSE_HALO) } });
  }

  get size(): number {
    return this.entries.length;
  }

  get memoryBytes(): number {
    return this.entries.reduce((n, e) => n + 48 + 2 * (e.outline.strokes.length + e.outline.halo.length), 0);
  }

  /** Line drawings in a photo (any size; it is scaled to options.side), best fit first, one per catalogue image. */
  match(photo: RgbImage, options: OutlineOptions, maxTurn: number, accept?: (key: number) => boolean): OutlineMatch[] {
    if (this.entries.length === 0) return [];
    const s = Math.min(1, options.side / Math.max(photo.width, photo.height));
    const small = s < 1 ? resample(photo, Math.max(4, Math.round(photo.width * s)), Math.max(4, Math.round(photo.height * s))) : photo;
    const frame = new StrokeFrame(small);
    const found: (OutlineMatch & { length: number })[] = [];
    for (const e of this.entries) {
      if (accept && !accept(e.key)) continue;
      const pose = placeOutline(frame, e.outline, e.coarse, options, Math.min(maxTurn, 90));
      if (!pose || pose.fit < options.minFit) continue;
      // Photo pixels of stroke the drawing explains: a stroke point stands for CELL px at its extent.
      const length = pose.on * CELL * (pose.extent / Math.max(1, e.outline.extent));
      found.push({ key: e.key, fit: pose.fit, box: placedBox(e.outline, pose, frame.width, frame.height), length });
    }
    // A drawing that is part of another (an L-shaped arrow, of a U-turn arrow) fits the other's
    // strokes too: where placements overlap, a drawing explaining less of the strokes than the
    // longest keeps that share of its fit.
    const out: OutlineMatch[] = [];
    for (const m of found) {
      const longest = Math.max(...found.filter((n) => boxOverlap(m.box, n.box) >= SAME_PLACE).map((n) => n.length));
      const fit = m.fit * Math.min(1, m.length / longest);
      if (fit >= options.minFit) out.push({ key: m.key, fit, box: m.box });
    }
    return out.sort((a, b) => b.fit - a.fit);
  }
}

/** The best placement of a drawing in the photo's mask of its colour (full-size pixels), with its fit; null when the photo lacks the colour. */
function placeOutline(frame: StrokeFrame, o: ProductOutline, coarse: { strokes: Int8Array; halo: Int8Array }, options: OutlineOptions, maxTurn: number): (Pose & { fit: number; on: number }) | null {
  const { half, quarter, count } = frame.distances(o.colour);
  const minSide = Math.min(frame.width, frame.height);
  // The coarsest mask must hold at least half the strokes' pixels at the smallest size (a stroke
  // point stands for CELL px of stroke at TEMPLATE_SIDE).
  if (count < 0.5 * (o.strokes.length / 2) * CELL * ((options.smallest * minSide) / quarter.scale / TEMPLATE_SIDE)) return null;
  const kept: (Pose & { score: number })[] = [];
  const turns = Math.floor(maxTurn / TURN_STEP);
  for (let extent = (options.smallest * minSide) / quarter.scale; extent <= (options.largest * minSide) / quarter.scale; extent *= SIZE_STEP) {
    for (let t = -turns; t <= turns; t++) {
      const turn = t * TURN_STEP;
      const at = placed(coarse, extent, turn, quarter.stride);
      for (let y = at.ry; y < quarter.h - at.ry; y += COARSE_STRIDE) {
        for (let x = at.rx; x < quarter.w - at.rx; x += COARSE_STRIDE) {
          const least = kept.length < KEEP ? COARSE_LEAST : Math.max(COARSE_LEAST, kept[kept.length - 1]!.score);
          const score = coarseScore(quarter.capped, at, (y + quarter.pad) * quarter.stride + x + quarter.pad, least);
          if (score > least) keepBest(kept, { extent, turn, x, y, score });
        }
      }
    }
  }
  if (kept.length === 0) return null;
  // Each kept placement climbs on the 2×2-pooled mask with the coarse points, the best of them on
  // the full-size mask with every point.
  let best: (Pose & { score: number }) | null = null;
  const placements = new Map<string, Placed>();
  const halfScore = (p: Pose): number => {
    const id = `${p.extent},${p.turn}`;
    const at = placements.get(id) ?? placements.set(id, placed(coarse, p.extent, p.turn, half.stride)).get(id)!;
    return coarseScore(half.capped, at, (p.y + half.pad) * half.stride + p.x + half.pad, -Infinity);
  };
  for (const k of kept) {
    const climbed = climb({ extent: 2 * k.extent, turn: k.turn, x: 2 * k.x, y: 2 * k.y }, halfScore, { size: SIZE_STEP ** 0.5, turn: TURN_STEP / 2, maxTurn });
    if (!best || climbed.score > best.score) best = climbed;
  }
  if (!best || best.score < HALF_LEAST) return null;
  const full = frame.full(o.colour);
  const fullFit = (p: Pose): number => fitAt(full, place(o.strokes, p.extent, p.turn), place(o.halo, p.extent, p.turn), p.x, p.y).fit;
  const refined = climb({ extent: 2 * best.extent, turn: best.turn, x: 2 * best.x, y: 2 * best.y }, fullFit, { size: 1.05, turn: 2, maxTurn });
  const { on } = fitAt(full, place(o.strokes, refined.extent, refined.turn), place(o.halo, refined.extent, refined.turn), refined.x, refined.y);
  return { ...refined, fit: refined.score, on };
}

/**
 * Hill-climbing from a placement: each round tries the 8 neighbouring positions (1 px), then a
 * turn `step.turn` either way and a size `step.size` times larger or smaller, and moves to the best
 * when it scores higher; at most CLIMB_ROUNDS rounds.
 */
function climb(start: Pose, score: (p: Pose) => number, step: { size: number; turn: number; maxTurn: number }): Pose & { score: number } {
  let pose = start, best = score(start);
  for (let round = 0; round < CLIMB_ROUNDS; round++) {
    const from = pose;
    const around: Pose[] = [
      ...[-1, 0, 1].flatMap((dy) => [-1, 0, 1].map((dx) => ({ ...from, x: from.x + dx, y: from.y + dy }))),
      { ...from, turn: from.turn - step.turn }, { ...from, turn: from.turn + step.turn },
      { ...from, extent: from.extent / step.size }, { ...from, extent: from.extent * step.size },
    ];
    for (const p of around) {
      if ((p.x === from.x && p.y === from.y && p === around[4]) || Math.abs(p.turn) > step.maxTurn + step.turn) continue;
      const s = score(p);
      if (s > best) [best, pose] = [s, p];
    }
    if (pose === from) break;
  }
  return { ...pose, score: best };
}

/** A drawing's coarse points placed at a size and turn: offsets into a level's padded pixels (`stride` wide), and how far the strokes reach from the centre. */
interface Placed { strokes: Int32Array; halo: Int32Array; rx: number; ry: number }

function placed(coarse: { strokes: Int8Array; halo: Int8Array }, extent: number, turn: number, stride: number): Placed {
  const sx = place(coarse.strokes, extent, turn), hx = place(coarse.halo, extent, turn);
  const linear = (p: Int32Array): Int32Array => {
    const out = new Int32Array(p.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = p[2 * i + 1]! * stride + p[2 * i]!;
    return out;
  };
  return { strokes: linear(sx), halo: linear(hx), rx: reach(sx, 0), ry: reach(sx, 1) };
}

/**
 * A placement's coarse score: 1 − the stroke points' mean capped distance to the colour (in
 * HALF_CAP units) − the share of halo points on it; −Infinity as soon as it cannot exceed `least`
 * (halo points only lower it) or its first points are mostly off the colour. `base` is the centre's
 * pixel in the padded level; the caller keeps the strokes inside the photo, the margin the rest.
 */
function coarseScore(capped: Uint8Array, at: Placed, base: number, least: number): number {
  const { strokes, halo } = at;
  const k = strokes.length, kh = halo.length;
  const bound = (1 - least) * k * HALF_CAP, firstBound = 0.5 * Math.min(FIRST_POINTS, k) * HALF_CAP;
  let far = 0;
  for (let i = 0; i < k; i++) {
    far += capped[base + strokes[i]!]!;
    if (far > bound || (i < FIRST_POINTS && far > firstBound)) return -Infinity;
  }
  let covered = 0;
  for (let i = 0; i < kh; i++) if (capped[base + halo[i]!] === 0) covered++;
  return 1 - far / (k * HALF_CAP) - covered / Math.max(1, kh);
}

/** Keeps the KEEP best placements, best first, one per size and turn. */
function keepBest(kept: (Pose & { score: number })[], p: Pose & { score: number }): void {
  const same = kept.findIndex((k) => k.extent === p.extent && k.turn === p.turn);
  if (same >= 0) {
    if (kept[same]!.score >= p.score) return;
    kept.splice(same, 1);
  }
  let i = kept.length;
  while (i > 0 && kept[i - 1]!.score < p.score) i--;
  kept.splice(i, 0, p);
  if (kept.length > KEEP) kept.pop();
}

/** Share of stroke points on the mask (within ON_STROKE) less share of halo points on it, for a drawing placed at (x, y), with the count of stroke points on it. */
function fitAt(l: Level, strokes: Int32Array, halo: Int32Array, x: number, y: number): { fit: number; on: number } {
  let on = 0, covered = 0;
  for (let i = 0; i < strokes.length; i += 2) {
    const X = x + strokes[i]!, Y = y + strokes[i + 1]!;
    if (X >= 0 && Y >= 0 && X < l.w && Y < l.h && l.d[Y * l.w + X]! <= ON_STROKE) on++;
  }
  for (let i = 0; i < halo.length; i += 2) {
    const X = x + halo[i]!, Y = y + halo[i + 1]!;
    if (X >= 0 && Y >= 0 && X < l.w && Y < l.h && l.d[Y * l.w + X] === 0) covered++;
  }
  return { fit: (2 * on) / Math.max(2, strokes.length) - (2 * covered) / Math.max(2, halo.length), on };
}
/** About `count` of the points, spread over the drawing (every k-th, in a scrambled order so the first few are not neighbours). */
function spread(points: Int8Array, count: number): Int8Array {
  const n = points.length / 2, every = Math.max(1, Math.floor(n / count));
  const picked: number[] = [];
  for (let i = 0; i < n; i += every) picked.push(i);
  // A fixed permutation (multiplicative stride, coprime with the length) spreads the first points.
  const m = picked.length, stride = coprimeStride(m);
  const out = new Int8Array(2 * m);
  for (let j = 0; j < m; j++) {
    const i = picked[(j * stride) % m]!;
    out[2 * j] = points[2 * i]!;
    out[2 * j + 1] = points[2 * i + 1]!;
  }
  return out;
}

function coprimeStride(m: number): number {
  let s = Math.max(1, Math.round(m * 0.618));
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  while (m > 1 && gcd(s, m) !== 1) s++;
  return s;
}

/** Stored points as pixel offsets for a drawing of longest side `extent` turned by `turn` degrees. */
function place(points: Int8Array, extent: number, turn: number): Int32Array {
  const c = Math.cos((turn * Math.PI) / 180), s = Math.sin((turn * Math.PI) / 180), k = extent / COORD_SCALE;
  const out = new Int32Array(points.length);
  for (let i = 0; i < points.length; i += 2) {
    const u = points[i]! * k, v = points[i + 1]! * k;
    out[i] = Math.round(c * u - s * v);
    out[i + 1] = Math.round(s * u + c * v);
  }
  return out;
}

/** Largest absolute offset along axis 0 (x) or 1 (y). */
function reach(offsets: Int32Array, axis: number): number {
  let m = 0;
  for (let i = axis; i < offsets.length; i += 2) m = Math.max(m, Math.abs(offsets[i]!));
  return m;
}

/** The bounding box of a placed drawing's strokes, as fractions of the frame. */
function placedBox(o: ProductOutline, pose: Pose, w: number, h: number): FractionBox {
  const p = place(o.strokes, pose.extent, pose.turn);
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < p.length; i += 2) {
    x0 = Math.min(x0, pose.x + p[i]!); x1 = Math.max(x1, pose.x + p[i]!);
    y0 = Math.min(y0, pose.y + p[i + 1]!); y1 = Math.max(y1, pose.y + p[i + 1]!);
  }
  const cx0 = Math.max(0, x0), cy0 = Math.max(0, y0), cx1 = Math.min(w, x1 + 1), cy1 = Math.min(h, y1 + 1);
  return { x: cx0 / w, y: cy0 / h, width: Math.max(0, cx1 - cx0) / w, height: Math.max(0, cy1 - cy0) / h };
}
