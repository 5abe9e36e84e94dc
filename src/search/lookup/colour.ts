import type { Homography } from '../../features/local/geometry.js';
import type { RgbImage } from '../../imaging/types.js';

export interface ColourOptions {
  /** Catalog pixels with every channel above this are white background, not product. */
  background: number;
  /** Fewer product samples inside the photo than this: no judgement. */
  minSamples: number;
}

export const DEFAULT_COLOUR_OPTIONS: ColourOptions = { background: 235, minSamples: 150 };

export interface ColourFit {
  /**
   * Share of the photo's colour variance over the product that one affine colour map of the
   * catalog's colours explains (R², 0..1).
   */
  explained: number;
  /** Product samples compared. */
  samples: number;
  /**
   * Share of the product samples whose colour in the photo is the catalog's colour under other
   * light (sameColourUnderLight on the mean colours of each of the catalog's colour bins).
   */
  kept: number;
}

/**
 * Colour check of a geometric match. Every product pixel of the catalog image's small colour copy
 * (not its white background) is mapped into the photo through the match's model, and the photo's
 * colours there are regressed on the catalog's by one affine colour map (3×3 + offset: light,
 * white balance, saturation and small hue shifts are all close to affine in RGB). A right match's
 * map explains most of the photo's colour variance over the product, whatever the light; a wrong
 * product placed over clutter explains little, and so does a recoloured copy of the drawing (a blue
 * bus against the white one: no single map turns white body and black windows into blue body and
 * black windows while keeping the rest). Unlike keypoints, it sees flat drawings: a flag's stripes
 * are all colour and no corners.
 *
 * `colours` is the catalog image's colour copy and `frame` the size of the feature frame the model
 * starts from (the copy is a downscaled frame). Null when too few product samples fall inside the
 * photo to judge.
 */
export function colourFit(photo: RgbImage, colours: RgbImage, model: Homography, frame: { width: number; height: number }, options: ColourOptions = DEFAULT_COLOUR_OPTIONS): ColourFit | null {
  const sx = frame.width / colours.width, sy = frame.height / colours.height;
  const [h0, h1, h2, h3, h4, h5, h6, h7, h8] = model as unknown as number[];
  const cd = colours.data, pd = photo.data, pw = photo.width;
  // One pass: the sums the least squares need (catalog colour moments, their products with each
  // photo channel, the photo channels' squares), no per-sample arrays.
  const ata = new Float64Array(16);
  const atb = [new Float64Array(4), new Float64Array(4), new Float64Array(4)];
  const sum = [0, 0, 0], sq = [0, 0, 0];
  let n = 0;
  // Per catalog colour bin (4 levels a channel): its catalog colour sum, photo colour sum and count.
  const bins = new Float64Array(64 * 7);
  for (let y = 0; y < colours.height; y++) {
    for (let x = 0; x < colours.width; x++) {
      const o = 3 * (y * colours.width + x);
      const r = cd[o]!, g = cd[o + 1]!, b = cd[o + 2]!;
      if (r > options.background && g > options.background && b > options.background) continue;
      const fx = (x + 0.5) * sx, fy = (y + 0.5) * sy;
      const w = h6! * fx + h7! * fy + h8!;
      if (!(w > 1e-9)) continue; // behind the camera
      // Photo position, as a continuous coordinate with pixel centres at integers.
      const px = (h0! * fx + h1! * fy + h2!) / w - 0.5, py = (h3! * fx + h4! * fy + h5!) / w - 0.5;
      if (!(px >= 0 && py >= 0 && px < pw - 1 && py < photo.height - 1)) continue;
      const ix = Math.floor(px), iy = Math.floor(py), ax = px - ix, ay = py - iy;
      const p00 = 3 * (iy * pw + ix), p10 = p00 + 3, p01 = p00 + 3 * pw, p11 = p01 + 3;
      const w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
      const bin = 7 * ((r >> 6) * 16 + (g >> 6) * 4 + (b >> 6));
      bins[bin]! += r; bins[bin + 1]! += g; bins[bin + 2]! += b; bins[bin + 6]!++;
      ata[0]! += r * r; ata[1]! += r * g; ata[2]! += r * b; ata[3]! += r;
      ata[5]! += g * g; ata[6]! += g * b; ata[7]! += g;
      ata[10]! += b * b; ata[11]! += b;
      for (let c = 0; c < 3; c++) {
        const v = w00 * pd[p00 + c]! + w10 * pd[p10 + c]! + w01 * pd[p01 + c]! + w11 * pd[p11 + c]!;
        const t = atb[c]!;
        t[0]! += r * v; t[1]! += g * v; t[2]! += b * v; t[3]! += v;
        sum[c]! += v; sq[c]! += v * v;
        bins[bin + 3 + c]! += v;
      }
      n++;
    }
  }
  if (n < options.minSamples) return null;
  ata[15] = n;
  ata[4] = ata[1]!; ata[8] = ata[2]!; ata[12] = ata[3]!; ata[9] = ata[6]!; ata[13] = ata[7]!; ata[14] = ata[11]!;
  // A little ridge keeps the map of a single-colour product defined (its colour columns are collinear).
  const ridged = Float64Array.from(ata);
  for (let a = 0; a < 3; a++) ridged[5 * a]! += n;
  let res = 0, tot = 0;
  for (let c = 0; c < 3; c++) {
    const t = atb[c]!;
    const coef = solve4(ridged, t);
    // Residual Σ(y − w·x)² = Σy² − 2 w·Aᵀy + wᵀ AᵀA w, exact for any w.
    let quad = 0;
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) quad += coef[a]! * ata[4 * a + b]! * coef[b]!;
    res += sq[c]! - 2 * (coef[0]! * t[0]! + coef[1]! * t[1]! + coef[2]! * t[2]! + coef[3]! * t[3]!) + quad;
    tot += sq[c]! - (sum[c]! * sum[c]!) / n;
  }
  let kept = 0;
  for (let o = 0; o < bins.length; o += 7) {
    const m = bins[o + 6]!;
    if (m === 0) continue;
    const cat = [bins[o]! / m, bins[o + 1]! / m, bins[o + 2]! / m], seen = [bins[o + 3]! / m, bins[o + 4]! / m, bins[o + 5]! / m];
    if (sameColourUnderLight(cat, seen)) kept += m;
  }
  return { explained: tot > 0 ? Math.max(0, Math.min(1, 1 - res / tot)) : 0, samples: n, kept: kept / n };
}

/** Solves the 4×4 system a·x = b (Gauss–Jordan with partial pivoting); a singular column gives 0. */
function solve4(a: Float64Array, b: Float64Array): Float64Array {
  const m = Array.from({ length: 4 }, (_, i) => [a[4 * i]!, a[4 * i + 1]!, a[4 * i + 2]!, a[4 * i + 3]!, b[i]!]);
  for (let col = 0; col < 4; col++) {
    let p = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[p]![col]!)) p = r;
    [m[col], m[p]] = [m[p]!, m[col]!];
    const piv = m[col]![col]!;
    if (Math.abs(piv) < 1e-12) continue;
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / piv;
      for (let k = col; k < 5; k++) m[r]![k]! -= f * m[col]![k]!;
    }
  }
  return Float64Array.from(m.map((r, i) => (Math.abs(r[i]!) < 1e-12 ? 0 : r[4]! / r[i]!)));
}

/**
 * Whether a colour in a photo may be a catalogue colour under a shopper's light (a region's mean
 * colour in shapes.ts, a colour bin's mean in colourFit): hues
 * within HUE_TOLERANCE where both are coloured, lightness within a factor LIGHT_RATIO (or
 * LIGHT_DIFFERENCE levels, for dark colours), and not a vivid colour against a grey.
 */
export function sameColourUnderLight(a: readonly number[], b: readonly number[]): boolean {
  const la = (a[0]! + a[1]! + a[2]!) / 3, lb = (b[0]! + b[1]! + b[2]!) / 3;
  if (Math.abs(la - lb) > LIGHT_DIFFERENCE && (Math.max(la, lb) / Math.max(1, Math.min(la, lb))) > LIGHT_RATIO) return false;
  const ca = Math.max(...a) - Math.min(...a), cb = Math.max(...b) - Math.min(...b);
  if (Math.max(ca, cb) >= VIVID && Math.min(ca, cb) < GREY) return false;
  if (Math.min(ca, cb) < COLOURED) return true;
  const d = Math.abs(hue(a) - hue(b));
  return Math.min(d, 360 - d) <= HUE_TOLERANCE;
}
const LIGHT_DIFFERENCE = 40;
const LIGHT_RATIO = 2.5;
const VIVID = 90;
const GREY = 20;
const COLOURED = 40;
const HUE_TOLERANCE = 50;

/** Hue in degrees of an RGB colour. */
function hue(c: readonly number[]): number {
  return hueOf(c[0]!, c[1]!, c[2]!);
}

/** Hue in degrees of the colour (r, g, b); 0 for a grey. */
export function hueOf(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min;
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}
