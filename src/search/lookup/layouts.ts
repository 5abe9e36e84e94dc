import { flatFrame, flatRectangles, meanAround, rectangleLayout, type TurnedRect } from '../../imaging/flat-regions.js';
import type { Homography } from '../../features/local/geometry.js';
import type { LocalFeatures } from '../../features/local/local-features.js';
import type { FractionBox } from '../../imaging/subject.js';
import type { RgbImage } from '../../imaging/types.js';

/**
 * Lookup of flat rectangular products by their colour layout: a flag of plain stripes has eight
 * corners for keypoints, and in a photo each of them shows the table or clutter around the flag,
 * so keypoints rarely find it; its stripes are still there, flat and turned alike. The catalogue
 * images whose product fills a rectangle keep the colours of a grid over it (catalog-analysis.ts);
 * a photo's flat rectangles (imaging/flat-regions.ts) are read on the same grid, and a catalogue
 * layout that explains a photo rectangle's colours under one change of light ranks its product.
 * A keypoint match of such a product is read on the grid too (layoutUnder), as a colour check that
 * cannot swap colours.
 */

/** Cells per side of a layout. */
export const LAYOUT_GRID = 12;

/** A catalogue image's layout as the index keeps it: the width/height of its product rectangle and its grid colours. */
export type ProductLayout = Pick<NonNullable<LocalFeatures['layout']>, 'aspect' | 'colours'>;

export interface LayoutOptions {
  /** Longest side the photo is scaled to before its flat regions are found. */
  side: number;
  /** Largest difference of log aspect ratios between a photo rectangle and a catalogue one. */
  aspectTolerance: number;
  /** Least share of a photo rectangle's colour variance a catalogue layout must explain to rank. */
  minFit: number;
}

export const DEFAULT_LAYOUT_OPTIONS: LayoutOptions = { side: 320, aspectTolerance: 0.15, minFit: 0.5 };

/** A catalogue image whose layout explains a rectangle of the photo. */
export interface LayoutMatch {
  key: number;
  /** Share of the photo rectangle's colour variance explained (layoutFit). */
  fit: number;
  /** The rectangle's bounding box, as fractions of the photo. */
  box: FractionBox;
}

/**
 * Share of a photo layout's colour variance that the catalogue layout explains under one change of
 * light: photo = a·catalogue + offset per channel, the gain `a` (≥ 0) shared by the three channels.
 * A gain per channel would let any two-colour flag explain any other (blue and yellow turned into
 * red and white); one gain keeps the colours' order in every channel. Tuning set (seed 3, 300
 * photos, 1k catalogue, solid regions only): a wrong best layout scoring ≥ 0.5 in 3 photos against
 * 12 with a gain per channel, ≥ 0.8 in none against 2, and the same flags found.
 */
export function layoutFit(photo: Uint8Array, catalogue: Uint8Array): number {
  const n = photo.length / 3;
  const mx = [0, 0, 0], my = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) { mx[c]! += catalogue[3 * i + c]!; my[c]! += photo[3 * i + c]!; }
  for (let c = 0; c < 3; c++) { mx[c]! /= n; my[c]! /= n; }
  let cxy = 0, vx = 0, vy = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const x = catalogue[3 * i + c]! - mx[c]!, y = photo[3 * i + c]! - my[c]!;
      cxy += x * y; vx += x * x; vy += y * y;
    }
  }
  if (vy < 1 || vx < 1e-6) return 0;
  const a = Math.max(0, cxy / vx);
  return 1 - (vy - 2 * a * cxy + a * a * vx) / vy;
}

/**
 * The photo's colours on a catalogue layout's grid, where a verified match's homography (catalogue
 * frame → photo pixels) puts the cells of the product's rectangle: the mean of the 3×3 pixels
 * around each cell's centre. With layoutFit, a colour check of the match that cannot swap colours.
 */
export function layoutUnder(photo: RgbImage, rect: TurnedRect, model: Homography, grid = LAYOUT_GRID): Uint8Array | null {
  const [h0, h1, h2, h3, h4, h5, h6, h7, h8] = model as unknown as number[];
  const out = new Uint8Array(grid * grid * 3);
  const c = Math.cos(rect.angle), s = Math.sin(rect.angle);
  let inside = 0;
  for (let j = 0; j < grid; j++) {
    for (let i = 0; i < grid; i++) {
      const u = ((i + 0.5) / grid - 0.5) * rect.width, v = ((j + 0.5) / grid - 0.5) * rect.height;
      const fx = rect.cx + u * c - v * s + 0.5, fy = rect.cy + u * s + v * c + 0.5;
      const w = h6! * fx + h7! * fy + h8!;
      if (!(w > 1e-9)) continue;
      const px = Math.round((h0! * fx + h1! * fy + h2!) / w - 0.5), py = Math.round((h3! * fx + h4! * fy + h5!) / w - 0.5);
      if (meanAround(photo, px, py, out, 3 * (j * grid + i))) inside++;
    }
  }
  // Most of the rectangle must be in the photo to judge its colours.
  return inside >= 0.75 * grid * grid ? out : null;
}

/** Catalogue layouts in memory (a few hundred bytes per flat rectangular product). */
export class LayoutIndex {
  private readonly entries: { key: number; aspect: number; colours: Uint8Array }[] = [];

  add(key: number, layout: ProductLayout): void {
    this.entries.push({ key, aspect: layout.aspect, colours: layout.colours });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Bytes held: the layouts' colours plus a key and an aspect ratio each. */
  get memoryBytes(): number {
    return this.entries.reduce((n, e) => n + e.colours.length + 16, 0);
  }

  /**
   * Catalogue images whose layout explains a flat rectangle of the photo by at least `minFit`, the
   * best rectangle per image, best first. `accept` filters catalogue keys.
   */
  async match(photo: RgbImage, options: LayoutOptions, accept?: (key: number) => boolean): Promise<LayoutMatch[]> {
    return this.entries.length === 0 ? [] : this.matchFrame(await flatFrame(photo, options.side), options, accept);
  }

  /** match() on the photo's flat frame (flatFrame at options.side), for a caller that has it already. */
  matchFrame(small: RgbImage, options: LayoutOptions, accept?: (key: number) => boolean): LayoutMatch[] {
    if (this.entries.length === 0) return [];
    const best = new Map<number, LayoutMatch>();
    for (const rect of flatRectangles(small)) {
      const aspect = rect.width / rect.height;
      const colours = rectangleLayout(small, rect, LAYOUT_GRID);
      const box = boundingBox(rect, small.width, small.height);
      for (const e of this.entries) {
        if (Math.abs(Math.log(aspect / e.aspect)) > options.aspectTolerance) continue;
        if (accept && !accept(e.key)) continue;
        const fit = layoutFit(colours, e.colours);
        if (fit >= options.minFit && fit > (best.get(e.key)?.fit ?? -1)) best.set(e.key, { key: e.key, fit, box });
      }
    }
    return [...best.values()].sort((a, b) => b.fit - a.fit);
  }
}

/** A turned rectangle's axis-aligned bounding box, as fractions of the image, clipped to it. */
function boundingBox(r: TurnedRect, width: number, height: number): FractionBox {
  const c = Math.abs(Math.cos(r.angle)), s = Math.abs(Math.sin(r.angle));
  const hw = (r.width * c + r.height * s) / 2, hh = (r.width * s + r.height * c) / 2;
  const x0 = Math.max(0, r.cx - hw), y0 = Math.max(0, r.cy - hh);
  const x1 = Math.min(width, r.cx + hw), y1 = Math.min(height, r.cy + hh);
  return { x: x0 / width, y: y0 / height, width: (x1 - x0) / width, height: (y1 - y0) / height };
}
