import { medianDenoise } from './preprocess.js';
import { resample } from './resample.js';
import type { RgbImage } from './types.js';

/**
 * Flat-colour rectangles of an image: the faces of flat printed products (flags, cards, signs,
 * labels) that have too few corners for keypoints, found as regions of one colour that fill the
 * smallest rectangle around them, and touching groups of such regions turned alike (a flag's
 * stripes). Also the colour layout of a rectangle: its colours on a grid, read the same way in a
 * catalogue image and in a photo, whatever the rectangle's turn.
 */

/** A turned rectangle: centre, sides and the turn of its `width` side, in pixels and radians. */
export interface TurnedRect {
  cx: number;
  cy: number;
  width: number;
  height: number;
  /** Turn of the width side, within (−π/4, π/4]: the side closest to horizontal is the width. */
  angle: number;
}

export interface FlatRegionOptions {
  /** Colour step (sum of the three channels' differences) that a region does not grow across. */
  step: number;
  /** Least area of a region, as a share of the image. */
  minShare: number;
  /** Least share of its rectangle a solid region fills. */
  solidFill: number;
  /** A framed region (a sign's field around its pictogram): least share of its rectangle its outline encloses … */
  framedHull: number;
  /** … and least share it fills itself. */
  framedFill: number;
  /** Largest turn between two touching regions that group into one rectangle (radians). */
  groupTurn: number;
  /** Least share of their rectangle a group's regions fill. */
  groupFill: number;
}

/**
 * Measured on the lookup benchmark's tuning photos (seed 3, 1k catalogue; `bench/lookup/README.md`,
 * session 14), on photos scaled to 320 px and median-filtered.
 */
export const DEFAULT_FLAT_REGION_OPTIONS: FlatRegionOptions = {
  step: 26,
  minShare: 0.002,
  solidFill: 0.85,
  framedHull: 0.9,
  framedFill: 0.4,
  groupTurn: (5 * Math.PI) / 180,
  groupFill: 0.75,
};

type Point = readonly [number, number];

/** Convex hull (Andrew's monotone chain), counter-clockwise, without collinear points. */
export function convexHull(points: Point[]): Point[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [], upper: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Area of a convex polygon of pixel centres, plus half a pixel of rim all round. */
function hullArea(hull: Point[]): number {
  let a = 0;
  for (let i = 0; i < hull.length; i++) {
    const p = hull[i]!, q = hull[(i + 1) % hull.length]!;
    a += p[0] * q[1] - q[0] * p[1];
  }
  return Math.abs(a) / 2 + hull.length / 2;
}

/**
 * Smallest rectangle around pixel centres (rotating calipers over the hull's edges), its sides
 * counting whole pixels; turned so its width side is within 45° of horizontal. `hullArea` is the
 * area the points' outline (convex hull) encloses, for the callers that judge how well it fills
 * the rectangle.
 */
export function minAreaRect(points: Point[]): TurnedRect & { area: number; hullArea: number } {
  const hull = convexHull(points);
  let best = { cx: 0, cy: 0, width: 0, height: 0, angle: 0, area: Infinity };
  const edges = hull.length > 1 ? hull.length : 1;
  for (let i = 0; i < edges; i++) {
    const a = hull[i] ?? [0, 0], b = hull[(i + 1) % hull.length] ?? a;
    const angle = a === b ? 0 : Math.atan2(b[1] - a[1], b[0] - a[0]);
    const c = Math.cos(angle), s = Math.sin(angle);
    let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity;
    for (const p of hull) {
      const u = p[0] * c + p[1] * s, v = -p[0] * s + p[1] * c;
      u0 = Math.min(u0, u); u1 = Math.max(u1, u); v0 = Math.min(v0, v); v1 = Math.max(v1, v);
    }
    const area = (u1 - u0 + 1) * (v1 - v0 + 1);
    if (area < best.area) {
      const uc = (u0 + u1) / 2, vc = (v0 + v1) / 2;
      best = { cx: uc * c - vc * s, cy: uc * s + vc * c, width: u1 - u0 + 1, height: v1 - v0 + 1, angle, area };
    }
  }
  return { ...upright(best), area: best.area, hullArea: hullArea(hull) };
}

/** The same rectangle described with its turn in (−π/4, π/4]. */
function upright(r: TurnedRect): TurnedRect {
  let { width, height, angle } = r;
  while (angle > Math.PI / 4) { angle -= Math.PI / 2; [width, height] = [height, width]; }
  while (angle <= -Math.PI / 4) { angle += Math.PI / 2; [width, height] = [height, width]; }
  return { cx: r.cx, cy: r.cy, width, height, angle };
}

/**
 * Regions of one colour, grown from each unlabelled pixel while a neighbour differs from the pixel
 * it is reached from by less than `step` and from the region's mean colour by less than
 * `meanFactor` × step (Infinity: a smooth gradient fill is one region, up to its outline).
 * Returns the label of every pixel and each region's pixel count.
 */
export function flatRegions(img: RgbImage, step: number, meanFactor = 1.5): { label: Int32Array; sizes: number[] } {
  const { data, width: w, height: h } = img;
  const label = new Int32Array(w * h).fill(-1);
  const sizes: number[] = [];
  const stack = new Int32Array(w * h);
  for (let seed = 0; seed < w * h; seed++) {
    if (label[seed] !== -1) continue;
    const id = sizes.length;
    let top = 0, n = 0, s0 = 0, s1 = 0, s2 = 0;
    stack[top++] = seed;
    label[seed] = id;
    while (top > 0) {
      const p = stack[--top]!;
      const o = 3 * p;
      s0 += data[o]!; s1 += data[o + 1]!; s2 += data[o + 2]!; n++;
      const m0 = s0 / n, m1 = s1 / n, m2 = s2 / n;
      const x = p % w;
      for (let k = 0; k < 4; k++) {
        const q = k === 0 ? (x > 0 ? p - 1 : -1) : k === 1 ? (x < w - 1 ? p + 1 : -1) : k === 2 ? p - w : p + w;
        if (q < 0 || q >= w * h || label[q] !== -1) continue;
        const oq = 3 * q;
        const fromPixel = Math.abs(data[oq]! - data[o]!) + Math.abs(data[oq + 1]! - data[o + 1]!) + Math.abs(data[oq + 2]! - data[o + 2]!);
        if (fromPixel >= step) continue;
        const fromMean = Math.abs(data[oq]! - m0) + Math.abs(data[oq + 1]! - m1) + Math.abs(data[oq + 2]! - m2);
        if (fromMean >= meanFactor * step) continue;
        label[q] = id;
        stack[top++] = q;
      }
    }
    sizes.push(n);
  }
  return { label, sizes };
}

/**
 * An image scaled to `side` (never up) and median-filtered (3×3; not below 3 px a side): the frame
 * flat regions are found in, for photos (colour layouts, shapes) and catalogue images (shapes) alike.
 */
export async function flatFrame(image: RgbImage, side: number): Promise<RgbImage> {
  const s = Math.min(1, side / Math.max(image.width, image.height));
  const scaled = s < 1 ? resample(image, Math.max(1, Math.round(image.width * s)), Math.max(1, Math.round(image.height * s))) : image;
  // A 3×3 median needs three pixels each way (a shopper's 1-pixel upload is not an error).
  return Math.min(scaled.width, scaled.height) >= 3 ? medianDenoise(scaled, 3) : scaled;
}

/** A flat region's size, centre and second moments: enough to place a drawing by one of its regions. */
export interface RegionShape {
  /** The region's label in flatRegions' labelling. */
  id: number;
  /** Pixels. */
  area: number;
  cx: number;
  cy: number;
  /** Direction of the region's long axis, radians in (−π/2, π/2]. */
  theta: number;
  /** Square root of the ratio of its principal second moments: 1 for a disc or a square. */
  elongation: number;
  /** Mean squared distance from the centre divided by the area: scale-free, 1/(2π) for a disc, more for a ring or a thin outline. */
  spread: number;
  /** Mean colour (RGB). */
  colour: [number, number, number];
}

/**
 * Flat regions (flatRegions, with `meanFactor`) of at least `minArea` pixels with their moments;
 * with `inside`, only regions at least 80% of whose pixels it accepts (a catalogue image's
 * product, not its backdrop).
 */
export function regionShapes(img: RgbImage, step: number, minArea: number, inside?: (pixel: number) => boolean, meanFactor = 1.5): { label: Int32Array; regions: RegionShape[] } {
  const { label, sizes } = flatRegions(img, step, meanFactor);
  const w = img.width;
  const sums = new Float64Array(sizes.length * 9);
  for (let p = 0; p < label.length; p++) {
    const o = 9 * label[p]!;
    const x = p % w, y = (p - x) / w;
    sums[o]! += x; sums[o + 1]! += y; sums[o + 2]! += x * x; sums[o + 3]! += y * y; sums[o + 4]! += x * y;
    if (inside?.(p)) sums[o + 5]!++;
    sums[o + 6]! += img.data[3 * p]!; sums[o + 7]! += img.data[3 * p + 1]!; sums[o + 8]! += img.data[3 * p + 2]!;
  }
  const regions: RegionShape[] = [];
  sizes.forEach((n, id) => {
    const o = 9 * id;
    if (n < minArea || (inside && sums[o + 5]! < 0.8 * n)) return;
    const cx = sums[o]! / n, cy = sums[o + 1]! / n;
    const xx = sums[o + 2]! / n - cx * cx, yy = sums[o + 3]! / n - cy * cy, xy = sums[o + 4]! / n - cx * cy;
    const d = Math.sqrt(((xx - yy) / 2) ** 2 + xy * xy);
    const major = (xx + yy) / 2 + d, minor = Math.max(1e-6, (xx + yy) / 2 - d);
    regions.push({ id, area: n, cx, cy, theta: 0.5 * Math.atan2(2 * xy, xx - yy), elongation: Math.sqrt(major / minor), spread: (xx + yy) / n,
      colour: [sums[o + 6]! / n, sums[o + 7]! / n, sums[o + 8]! / n] });
  });
  return { label, regions };
}

/**
 * Candidate rectangles of flat products in an image (a photo scaled to ~320 px and median-filtered):
 * every solid region (filling `solidFill` of its rectangle) or framed one (its outline enclosing
 * `framedHull` of its rectangle, as a sign's field around a pictogram), and every group of touching
 * solid regions turned alike (within `groupTurn`) whose rectangle they fill to `groupFill`.
 */
export function flatRectangles(img: RgbImage, options: FlatRegionOptions = DEFAULT_FLAT_REGION_OPTIONS): TurnedRect[] {
  const { width: w, height: h } = img;
  const { label, sizes } = flatRegions(img, options.step);
  const minSize = Math.max(16, options.minShare * w * h);
  // Each large region's outline: its leftmost and rightmost pixel per row (enough for the hull).
  const rows = new Map<number, { left: Int32Array; right: Int32Array }>();
  sizes.forEach((n, id) => {
    if (n >= minSize) rows.set(id, { left: new Int32Array(h).fill(w), right: new Int32Array(h).fill(-1) });
  });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = rows.get(label[y * w + x]!);
      if (!r) continue;
      if (x < r.left[y]!) r.left[y] = x;
      if (x > r.right[y]!) r.right[y] = x;
    }
  }
  const regions = new Map<number, { rect: TurnedRect; outline: Point[]; size: number; solid: boolean }>();
  for (const [id, r] of rows) {
    const outline: Point[] = [];
    for (let y = 0; y < h; y++) if (r.right[y]! >= 0) outline.push([r.left[y]!, y], [r.right[y]!, y]);
    const rect = minAreaRect(outline);
    if (Math.min(rect.width, rect.height) < 5) continue;
    const fill = sizes[id]! / rect.area;
    const solid = fill >= options.solidFill;
    const framed = fill >= options.framedFill && rect.hullArea / rect.area >= options.framedHull;
    if (solid || framed) regions.set(id, { rect, outline, size: sizes[id]!, solid });
  }
  // Touching solid regions turned alike (within 3 px: a blurred edge between two stripes is a
  // thin region of its own) are grouped.
  const parent = new Map<number, number>();
  const find = (a: number): number => {
    while (parent.get(a) !== a) a = parent.get(a)!;
    return a;
  };
  for (const [id, r] of regions) if (r.solid) parent.set(id, id);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const a = label[y * w + x]!;
      if (!parent.has(a)) continue;
      for (const [dx, dy] of NEAR) {
        const X = x + dx, Y = y + dy;
        if (X < 0 || X >= w || Y >= h) continue;
        const b = label[Y * w + X]!;
        if (b === a || !parent.has(b)) continue;
        if (turnBetween(regions.get(a)!.rect.angle, regions.get(b)!.rect.angle) < options.groupTurn) parent.set(find(a), find(b));
      }
    }
  }
  const groups = new Map<number, number[]>();
  for (const id of parent.keys()) groups.set(find(id), [...(groups.get(find(id)) ?? []), id]);
  const out: TurnedRect[] = [...regions.values()].map((r) => r.rect);
  for (const ids of groups.values()) {
    if (ids.length < 2) continue;
    const rect = minAreaRect(ids.flatMap((id) => regions.get(id)!.outline));
    const size = ids.reduce((s, id) => s + regions.get(id)!.size, 0);
    if (size / rect.area >= options.groupFill) out.push(rect);
  }
  return out.map(({ cx, cy, width, height, angle }) => ({ cx, cy, width, height, angle }));
}

/** Offsets at which two regions count as touching. */
const NEAR: readonly (readonly [number, number])[] = [[3, 0], [0, 3], [2, 2], [-2, 2]];

/** Difference of two rectangle turns, modulo a quarter turn. */
function turnBetween(a: number, b: number): number {
  const q = Math.PI / 2;
  const d = (((a - b) % q) + q) % q;
  return Math.min(d, q - d);
}

/**
 * The rectangle around an image's product: the pixels outside its backdrop mask, when they fill at
 * least `fill` of their smallest rectangle (a flag, a card), or fill at least `hullFill` of it and
 * their outline encloses `hull` of it (a flag whose white stripe runs to the image's edge and joins
 * the white backdrop there, while its other stripes still span the rectangle); null for any other
 * shape.
 */
export function productRectangle(img: RgbImage, backdrop: Uint8Array, fill = 0.9, hull = 0.95, hullFill = 0.5): TurnedRect | null {
  const { width: w, height: h } = img;
  const outline: Point[] = [];
  let size = 0;
  for (let y = 0; y < h; y++) {
    let left = -1, right = -1;
    for (let x = 0; x < w; x++) {
      if (backdrop[y * w + x]) continue;
      size++;
      if (left < 0) left = x;
      right = x;
    }
    if (left >= 0) outline.push([left, y], [right, y]);
  }
  if (size < 100) return null;
  const rect = minAreaRect(outline);
  const filled = size / rect.area;
  if (filled < fill && (filled < hullFill || rect.hullArea / rect.area < hull)) return null;
  return { cx: rect.cx, cy: rect.cy, width: rect.width, height: rect.height, angle: rect.angle };
}

/**
 * A product rectangle grown over the part of its product in the backdrop's colour. A drawing is
 * centred in its catalogue image, so an upright rectangle centred along one axis and not the other
 * (Monaco's flag, red over white on a white backdrop, shows as its red half) is grown toward the
 * image's centre until it is centred there, when everything it grows over is backdrop (`backdrop`:
 * 1 per backdrop pixel). Null when the rectangle is turned, centred both ways or off-centre both
 * ways (by more than `tolerance` of the image's side), or would grow over anything else.
 */
export function centredRectangle(backdrop: Uint8Array, w: number, h: number, r: TurnedRect, tolerance = 0.02): TurnedRect | null {
  if (Math.abs(r.angle) > 0.02) return null;
  const x0 = r.cx - r.width / 2, x1 = r.cx + r.width / 2, y0 = r.cy - r.height / 2, y1 = r.cy + r.height / 2;
  // Pixel centres are at integers: the image's centre is at ((w − 1) / 2, (h − 1) / 2).
  const offX = r.cx - (w - 1) / 2, offY = r.cy - (h - 1) / 2;
  const alongX = Math.abs(offX) > tolerance * w, alongY = Math.abs(offY) > tolerance * h;
  if (alongX === alongY) return null;
  let nx0 = x0, nx1 = x1, ny0 = y0, ny1 = y1;
  if (alongY) [ny0, ny1] = offY < 0 ? [y0, h - 1 - y0] : [h - 1 - y1, y1];
  else [nx0, nx1] = offX < 0 ? [x0, w - 1 - x0] : [w - 1 - x1, x1];
  let grown = 0, plain = 0;
  for (let y = Math.max(0, Math.round(ny0)); y <= Math.min(h - 1, Math.round(ny1)); y++) {
    for (let x = Math.max(0, Math.round(nx0)); x <= Math.min(w - 1, Math.round(nx1)); x++) {
      if (x >= x0 && x <= x1 && y >= y0 && y <= y1) continue;
      grown++;
      if (backdrop[y * w + x]) plain++;
    }
  }
  if (grown === 0 || plain < 0.98 * grown) return null;
  return { cx: (nx0 + nx1) / 2, cy: (ny0 + ny1) / 2, width: nx1 - nx0, height: ny1 - ny0, angle: 0 };
}

/**
 * Colours of a rectangle on a grid×grid layout: at each cell's centre, the mean of the 3×3 pixels
 * around it, row by row from the corner that is top-left when the rectangle is turned upright.
 */
export function rectangleLayout(img: RgbImage, r: TurnedRect, grid: number): Uint8Array {
  const out = new Uint8Array(grid * grid * 3);
  const c = Math.cos(r.angle), s = Math.sin(r.angle);
  for (let j = 0; j < grid; j++) {
    for (let i = 0; i < grid; i++) {
      const u = ((i + 0.5) / grid - 0.5) * r.width, v = ((j + 0.5) / grid - 0.5) * r.height;
      meanAround(img, Math.round(r.cx + u * c - v * s), Math.round(r.cy + u * s + v * c), out, 3 * (j * grid + i));
    }
  }
  return out;
}

/**
 * The mean colour of the 3×3 pixels around pixel (x, y) that lie in the image, written to `out` at
 * `at`; false (and nothing written) when none does.
 */
export function meanAround(img: RgbImage, x: number, y: number, out: Uint8Array, at: number): boolean {
  let a0 = 0, a1 = 0, a2 = 0, n = 0;
  for (let yy = y - 1; yy <= y + 1; yy++) {
    for (let xx = x - 1; xx <= x + 1; xx++) {
      if (xx < 0 || yy < 0 || xx >= img.width || yy >= img.height) continue;
      const o = 3 * (yy * img.width + xx);
      a0 += img.data[o]!; a1 += img.data[o + 1]!; a2 += img.data[o + 2]!; n++;
    }
  }
  if (n === 0) return false;
  out[at] = Math.round(a0 / n); out[at + 1] = Math.round(a1 / n); out[at + 2] = Math.round(a2 / n);
  return true;
}
