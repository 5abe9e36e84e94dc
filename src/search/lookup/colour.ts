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
  const n0 = colours.width * colours.height;
  const cat = new Float64Array(3 * n0), pho = new Float64Array(3 * n0);
  let n = 0;
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
      const k = 3 * n;
      cat[k] = r; cat[k + 1] = g; cat[k + 2] = b;
      for (let c = 0; c < 3; c++) pho[k + c] = w00 * pd[p00 + c]! + w10 * pd[p10 + c]! + w01 * pd[p01 + c]! + w11 * pd[p11 + c]!;
      n++;
    }
  }
  if (n < options.minSamples) return null;
  // Least squares of each photo channel on [r, g, b, 1]: one 4×4 system, three right-hand sides.
  const ata = new Float64Array(16);
  const atb = [new Float64Array(4), new Float64Array(4), new Float64Array(4)];
  const mean = [0, 0, 0];
  const row = [0, 0, 0, 1];
  for (let i = 0; i < n; i++) {
    row[0] = cat[3 * i]!; row[1] = cat[3 * i + 1]!; row[2] = cat[3 * i + 2]!;
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) ata[4 * a + b]! += row[a]! * row[b]!;
      for (let c = 0; c < 3; c++) atb[c]![a]! += row[a]! * pho[3 * i + c]!;
    }
    for (let c = 0; c < 3; c++) mean[c]! += pho[3 * i + c]!;
  }
  for (let c = 0; c < 3; c++) mean[c]! /= n;
  // A little ridge keeps the map of a single-colour product defined (its colour columns are collinear).
  for (let a = 0; a < 3; a++) ata[5 * a]! += n;
  const coef = atb.map((b) => solve4(ata, b));
  let res = 0, tot = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const w = coef[c]!;
      const y = pho[3 * i + c]!;
      const pred = w[0]! * cat[3 * i]! + w[1]! * cat[3 * i + 1]! + w[2]! * cat[3 * i + 2]! + w[3]!;
      res += (y - pred) ** 2;
      tot += (y - mean[c]!) ** 2;
    }
  }
  return { explained: tot > 0 ? Math.max(0, 1 - res / tot) : 0, samples: n };
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
