import { project, type Homography } from '../../features/local/geometry.js';
import { toLuma } from '../../features/local/local-features.js';
import { loadOpenCv, type Cv } from '../../features/local/opencv.js';
import type { GrayImage, RgbImage } from '../../imaging/types.js';

export interface AppearanceOptions {
  /** Cells per side of the grid laid over the product's footprint in the photo. */
  grid: number;
  /** Longest side (px) the footprint is compared at: the cost stays small and blur/JPEG matter less. */
  workSide: number;
  /** Gaussian sigma (working pixels) applied to both images before the gradients. */
  sigma: number;
  /** Gradient correlation from which a cell agrees with the catalog image. */
  cellAgreement: number;
  /** Mean catalog gradient (Sobel units) from which a cell holds product content, not plain background. */
  contentGradient: number;
}

export const DEFAULT_APPEARANCE_OPTIONS: AppearanceOptions = { grid: 8, workSide: 128, sigma: 1.2, cellAgreement: 0.3, contentGradient: 16 };

export interface Appearance {
  /** Share of the content cells whose gradients agree with the warped catalog image (0..1). */
  agreement: number;
  /** Content cells compared (cells where the catalog image has more than plain background). */
  cells: number;
  /** Each content cell's gradient correlation (-1..1), for diagnostics. */
  correlations: number[];
}

/**
 * Pixel-level check of a geometric match: the catalog image is warped into the photo with the
 * RANSAC homography and compared with the photo inside the product's footprint, on a grid of
 * cells. Per cell, the gradient fields are correlated in the doubled-angle representation
 * (|g|·(cos 2θ, sin 2θ)): orientation only, so brightness, colour and contrast changes, even a
 * contrast inversion between the catalog's white background and the shopper's table, do not
 * matter, and blur only lowers magnitudes. Cells where the catalog image is plain background are
 * not counted. A photo of the whole product agrees in most cells; a photo that holds only a part
 * of it (the comb and scissors of a barber sign on another sign) disagrees wherever the rest of
 * the product should be.
 *
 * The whole catalog image is compared (not only its keypoints' extent: a plain outline, like the
 * rounded square around a sign's pictogram, has no corners but must be there too). `frame` is the
 * size of the catalog's feature frame (the coordinates the homography starts from); `catalog` may
 * be stored at another size. Null when the footprint in the photo is too small or the catalog
 * image holds too little content to judge.
 */
export async function appearanceAgreement(
  photo: RgbImage | GrayImage,
  catalog: RgbImage | GrayImage,
  homography: Homography,
  frame: { width: number; height: number },
  options: AppearanceOptions = DEFAULT_APPEARANCE_OPTIONS,
): Promise<Appearance | null> {
  const area = footprint(photo, [{ homography, frame }], options);
  if (!area) return null;
  return withFootprint(photo, area, options, (cv, seen, keep) => {
    const [cgx, cgy, shade] = warpedGradients(cv, { catalog, homography, frame }, area, options, keep);
    const [pgx, pgy] = gradients(cv, seen, options.sigma, keep);
    const g = options.grid;
    const n = g * g;
    const cc = new Float64Array(n), pp = new Float64Array(n), cp = new Float64Array(n), mag = new Float64Array(n), px = new Float64Array(n);
    const pmag = new Float64Array(n), inside = new Float64Array(n);
    forEachCell(area, g, (i, cell) => {
      const a = doubled(cgx[i]!, cgy[i]!), b = doubled(pgx[i]!, pgy[i]!);
      cc[cell]! += a[0] * a[0] + a[1] * a[1];
      pp[cell]! += b[0] * b[0] + b[1] * b[1];
      cp[cell]! += a[0] * b[0] + a[1] * b[1];
      mag[cell]! += Math.hypot(cgx[i]!, cgy[i]!);
      pmag[cell]! += Math.hypot(pgx[i]!, pgy[i]!);
      if (shade[i]! < BACKGROUND_LUMA) inside[cell]!++;
      px[cell]!++;
    });
    const correlations: number[] = [];
    for (let c = 0; c < n; c++) {
      if (px[c]! === 0) continue;
      if (mag[c]! / px[c]! >= options.contentGradient) correlations.push(pp[c]! > 0 ? cp[c]! / Math.sqrt(cc[c]! * pp[c]!) : 0);
      // A plain area of the product itself (not its background) where the photo shows structure:
      // something else is there (the pictogram another sign has where this one is empty).
      else if (inside[c]! >= 0.9 * px[c]! && pmag[c]! / px[c]! >= 2 * options.contentGradient) correlations.push(0);
    }
    if (correlations.length < 4) return null;
    const agree = correlations.filter((r) => r >= options.cellAgreement).length;
    return { agreement: agree / correlations.length, cells: correlations.length, correlations };
  });
}

/** A catalog image placed in the photo: its pixels, the homography from its feature frame, and that frame's size. */
export interface PlacedImage {
  catalog: RgbImage | GrayImage;
  homography: Homography;
  frame: { width: number; height: number };
}

/**
 * Which of two catalog images placed at the same place of the photo looks more like it there: two
 * drawings of one product line (a smiley with and without its tongue out, an escalator sign with
 * and without an arrow, a circle with and without a cross) share most keypoints, so their inliers
 * and pixel checks are alike, and only the part where they differ tells them apart. Both are
 * compared with the photo on one grid over the union of their footprints, in the cells where
 * either has content. A cell counts 1 for an image whose gradients there correlate with the
 * photo's (the correlation, when both have structure) or that is plain where the photo is plain
 * too, and 0 for structure on one side only. Returns each image's mean over those cells (a, b),
 * or null when the footprint is too small or fewer than 4 cells have content.
 */
export async function closerPlacement(
  photo: RgbImage | GrayImage,
  a: PlacedImage,
  b: PlacedImage,
  options: AppearanceOptions = DEFAULT_APPEARANCE_OPTIONS,
): Promise<{ a: number; b: number } | null> {
  const area = footprint(photo, [a, b], options);
  if (!area) return null;
  return withFootprint(photo, area, options, (cv, seen, keep) => {
    const [pgx, pgy] = gradients(cv, seen, options.sigma, keep);
    const g = options.grid;
    const n = g * g;
    const px = new Float64Array(n), pp = new Float64Array(n), pmag = new Float64Array(n);
    const sums = [a, b].map((placed) => {
      const [cgx, cgy] = warpedGradients(cv, placed, area, options, keep);
      const cc = new Float64Array(n), cp = new Float64Array(n), mag = new Float64Array(n);
      forEachCell(area, g, (i, cell) => {
        const u = doubled(cgx[i]!, cgy[i]!), v = doubled(pgx[i]!, pgy[i]!);
        cc[cell]! += u[0] * u[0] + u[1] * u[1];
        cp[cell]! += u[0] * v[0] + u[1] * v[1];
        mag[cell]! += Math.hypot(cgx[i]!, cgy[i]!);
      });
      return { cc, cp, mag };
    });
    forEachCell(area, g, (i, cell) => {
      const v = doubled(pgx[i]!, pgy[i]!);
      pp[cell]! += v[0] * v[0] + v[1] * v[1];
      pmag[cell]! += Math.hypot(pgx[i]!, pgy[i]!);
      px[cell]!++;
    });
    const score = [0, 0];
    let cells = 0;
    for (let c = 0; c < n; c++) {
      if (px[c]! === 0) continue;
      const content = sums.map((s) => s.mag[c]! / px[c]! >= options.contentGradient);
      if (!content[0] && !content[1]) continue;
      cells++;
      const seenContent = pmag[c]! / px[c]! >= options.contentGradient;
      sums.forEach((s, k) => {
        if (content[k] && seenContent) score[k]! += s.cc[c]! > 0 && pp[c]! > 0 ? Math.max(0, s.cp[c]! / Math.sqrt(s.cc[c]! * pp[c]!)) : 0;
        else if (!content[k] && !seenContent) score[k]! += 1;
      });
    }
    return cells < 4 ? null : { a: score[0]! / cells, b: score[1]! / cells };
  });
}

/** The footprint's box in the photo (pixels) and the working size it is compared at. */
interface Footprint {
  x0: number;
  y0: number;
  width: number;
  height: number;
  /** Working pixels per photo pixel. */
  scale: number;
  workWidth: number;
  workHeight: number;
}

/** The box of the placed catalog images' frames in the photo (their union), or null when one does not project or it is too small. */
function footprint(photo: { width: number; height: number }, placed: { homography: Homography; frame: { width: number; height: number } }[], options: AppearanceOptions): Footprint | null {
  const qx: number[] = [], qy: number[] = [];
  for (const { homography, frame } of placed) {
    for (const [x, y] of [[0, 0], [frame.width, 0], [frame.width, frame.height], [0, frame.height]]) {
      const p = project(homography, x!, y!);
      if (!p) return null;
      qx.push(p[0]);
      qy.push(p[1]);
    }
  }
  const x0 = Math.max(0, Math.floor(Math.min(...qx))), x1 = Math.min(photo.width, Math.ceil(Math.max(...qx)));
  const y0 = Math.max(0, Math.floor(Math.min(...qy))), y1 = Math.min(photo.height, Math.ceil(Math.max(...qy)));
  const width = x1 - x0, height = y1 - y0;
  if (width < 2 * options.grid || height < 2 * options.grid) return null;
  const scale = Math.min(1, options.workSide / Math.max(width, height));
  return { x0, y0, width, height, scale, workWidth: Math.max(options.grid, Math.round(width * scale)), workHeight: Math.max(options.grid, Math.round(height * scale)) };
}

type Keep = <T extends { delete(): void }>(x: T) => T;

/** Runs `compare` on the photo's footprint at working size, freeing every OpenCV matrix it keeps afterwards. */
async function withFootprint<T>(photo: RgbImage | GrayImage, area: Footprint, options: AppearanceOptions, compare: (cv: Cv, seen: unknown, keep: Keep) => T): Promise<T> {
  const { cv } = await loadOpenCv();
  const mats: { delete(): void }[] = [];
  const keep: Keep = (x) => { mats.push(x); return x; };
  try {
    const roi = keep(grayMat(cv, lumaRegion(photo, area.x0, area.y0, area.width, area.height)));
    const seen = keep(new cv.Mat());
    cv.resize(roi, seen, new cv.Size(area.workWidth, area.workHeight), 0, 0, cv.INTER_AREA);
    return compare(cv, seen, keep);
  } finally {
    for (const x of mats.reverse()) x.delete();
  }
}

/** A placed catalog image warped into the working footprint: its Sobel gradients and its luma. */
function warpedGradients(cv: Cv, placed: PlacedImage, area: Footprint, options: AppearanceOptions, keep: Keep): [Float32Array, Float32Array, Uint8Array] {
  const { catalog, homography: h, frame } = placed;
  const { x0, y0, scale: s, workWidth: ow, workHeight: oh } = area;
  // Catalog pixels → feature frame → photo → working footprint.
  const toFrame = [frame.width / catalog.width, frame.height / catalog.height];
  // Shrink the catalog first (area averaging) when the warp would shrink it: no aliasing.
  const shrink = Math.min(1, (1.5 * Math.max(ow, oh)) / Math.max(catalog.width, catalog.height));
  const pre = [toFrame[0]! / shrink, toFrame[1]! / shrink];
  const m = [
    s * (h[0]! - x0 * h[6]!) * pre[0]!, s * (h[1]! - x0 * h[7]!) * pre[1]!, s * (h[2]! - x0 * h[8]!),
    s * (h[3]! - y0 * h[6]!) * pre[0]!, s * (h[4]! - y0 * h[7]!) * pre[1]!, s * (h[5]! - y0 * h[8]!),
    h[6]! * pre[0]!, h[7]! * pre[1]!, h[8]!,
  ];
  const cat = keep(grayMat(cv, toLuma(catalog)));
  let catSrc = cat;
  if (shrink < 1) {
    catSrc = keep(new cv.Mat());
    cv.resize(cat, catSrc, new cv.Size(Math.max(1, Math.round(catalog.width * shrink)), Math.max(1, Math.round(catalog.height * shrink))), 0, 0, cv.INTER_AREA);
  }
  const warped = keep(new cv.Mat());
  const mm = keep(cv.matFromArray(3, 3, cv.CV_64F, m));
  // Replicated border: no artificial edge where the catalog image ends, whatever its background.
  cv.warpPerspective(catSrc, warped, mm, new cv.Size(ow, oh), cv.INTER_LINEAR, cv.BORDER_REPLICATE);
  const [gx, gy] = gradients(cv, warped, options.sigma, keep);
  return [gx, gy, Uint8Array.from(warped.data as Uint8Array)];
}

/** Calls `visit` with each working pixel's index and its cell of the `grid` × `grid` grid. */
function forEachCell(area: Footprint, grid: number, visit: (i: number, cell: number) => void): void {
  const { workWidth: ow, workHeight: oh } = area;
  for (let y = 0; y < oh; y++) {
    const row = Math.min(grid - 1, Math.floor((y * grid) / oh)) * grid;
    for (let x = 0; x < ow; x++) visit(y * ow + x, row + Math.min(grid - 1, Math.floor((x * grid) / ow)));
  }
}

/** Catalog pixels darker than this (luma) belong to the product, lighter ones may be its white background. */
const BACKGROUND_LUMA = 230;

/** |g|·(cos 2θ, sin 2θ): the gradient's orientation without its polarity, weighted by its strength. */
function doubled(gx: number, gy: number): [number, number] {
  const r = Math.hypot(gx, gy);
  return r > 0 ? [(gx * gx - gy * gy) / r, (2 * gx * gy) / r] : [0, 0];
}

/** Luma of one rectangle of an image (only the footprint is converted, not the whole photo). */
function lumaRegion(img: RgbImage | GrayImage, x0: number, y0: number, w: number, h: number): GrayImage {
  const out = new Uint8Array(w * h);
  const d = img.data;
  for (let y = 0; y < h; y++) {
    for (let x = 0, o = ((y + y0) * img.width + x0) * img.channels; x < w; x++, o += img.channels) {
      out[y * w + x] = img.channels === 1 ? d[o]! : (d[o]! * 77 + d[o + 1]! * 150 + d[o + 2]! * 29) >> 8;
    }
  }
  return { data: out, width: w, height: h, channels: 1 };
}

function grayMat(cv: Cv, img: GrayImage): Cv {
  const mat = new cv.Mat(img.height, img.width, cv.CV_8UC1);
  mat.data.set(img.data);
  return mat;
}

/** Sobel gradients (float) of a smoothed 8-bit image. */
function gradients(cv: Cv, src: unknown, sigma: number, keep: Keep): [Float32Array, Float32Array] {
  const smooth = keep(new cv.Mat() as { delete(): void });
  cv.GaussianBlur(src, smooth, new cv.Size(0, 0), sigma, sigma, cv.BORDER_REPLICATE);
  const gx = keep(new cv.Mat() as { delete(): void; data32F: Float32Array });
  const gy = keep(new cv.Mat() as { delete(): void; data32F: Float32Array });
  cv.Sobel(smooth, gx, cv.CV_32F, 1, 0, 3, 1, 0, cv.BORDER_REPLICATE);
  cv.Sobel(smooth, gy, cv.CV_32F, 0, 1, 3, 1, 0, cv.BORDER_REPLICATE);
  return [Float32Array.from(gx.data32F), Float32Array.from(gy.data32F)];
}
