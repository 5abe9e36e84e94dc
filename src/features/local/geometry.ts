import { loadOpenCv } from './opencv.js';

/** Row-major 3×3 homography mapping catalog-image points to query-image points. */
export type Homography = Float64Array;

export interface HomographyFit {
  homography: Homography;
  /** 1 where the correspondence agrees with the homography within the threshold. */
  inliers: Uint8Array;
  inlierCount: number;
}

/**
 * RANSAC homography (OpenCV findHomography) from point pairs src[i] → dst[i], both as x,y
 * interleaved. Null when there are fewer than 4 pairs or no model is found.
 */
export async function fitHomography(src: Float32Array, dst: Float32Array, thresholdPx: number): Promise<HomographyFit | null> {
  const n = src.length / 2;
  if (n < 4) return null;
  const { cv } = await loadOpenCv();
  const a = cv.matFromArray(n, 1, cv.CV_32FC2, Array.from(src));
  const b = cv.matFromArray(n, 1, cv.CV_32FC2, Array.from(dst));
  const mask = new cv.Mat();
  let h: { rows: number; data64F: Float64Array; delete(): void } | null = null;
  try {
    h = cv.findHomography(a, b, cv.RANSAC, thresholdPx, mask, 2000, 0.995);
    if (!h || h.rows !== 3) return null;
    const inliers = new Uint8Array(n);
    let inlierCount = 0;
    const m = mask.data as Uint8Array;
    for (let i = 0; i < n; i++) if (m[i]) { inliers[i] = 1; inlierCount++; }
    return { homography: Float64Array.from(h.data64F), inliers, inlierCount };
  } finally {
    h?.delete();
    mask.delete();
    b.delete();
    a.delete();
  }
}

/** Applies a homography to one point; null when it maps to infinity (behind the camera). */
export function project(h: Homography, x: number, y: number): [number, number] | null {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  if (!(w > 1e-9)) return null;
  return [(h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w];
}

/**
 * Whether a homography is a plausible view of a flat product: it keeps orientation, does not
 * collapse or blow up the area (0.02–50×), and is not wildly perspective. Chance models fitted to
 * clutter usually fail one of these.
 */
export function isPlausible(h: Homography, srcWidth: number, srcHeight: number): boolean {
  const corners: [number, number][] = [[0, 0], [srcWidth, 0], [srcWidth, srcHeight], [0, srcHeight]];
  const p = corners.map(([x, y]) => project(h, x, y));
  if (p.some((q) => q === null)) return false;
  const q = p as [number, number][];
  // Signed area (shoelace) and convexity: every turn must have the same sign.
  let area = 0;
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const [x0, y0] = q[i]!;
    const [x1, y1] = q[(i + 1) % 4]!;
    const [x2, y2] = q[(i + 2) % 4]!;
    area += x0 * y1 - x1 * y0;
    const cross = (x1 - x0) * (y2 - y1) - (y1 - y0) * (x2 - x1);
    const s = Math.sign(cross);
    if (s === 0 || (sign !== 0 && s !== sign)) return false;
    sign = s;
  }
  area /= 2;
  const ratio = area / (srcWidth * srcHeight);
  return ratio > 0.02 && ratio < 50;
}

/** Similarity (rotation, uniform scale, translation) fitted by least squares to the listed pairs. */
function similarityFrom(src: Float32Array, dst: Float32Array, idx: number[]): Homography | null {
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (const i of idx) { sx += src[2 * i]!; sy += src[2 * i + 1]!; dx += dst[2 * i]!; dy += dst[2 * i + 1]!; }
  const n = idx.length;
  sx /= n; sy /= n; dx /= n; dy /= n;
  let num1 = 0, num2 = 0, den = 0;
  for (const i of idx) {
    const ax = src[2 * i]! - sx, ay = src[2 * i + 1]! - sy, bx = dst[2 * i]! - dx, by = dst[2 * i + 1]! - dy;
    num1 += ax * bx + ay * by;
    num2 += ax * by - ay * bx;
    den += ax * ax + ay * ay;
  }
  if (den < 1e-6) return null;
  const a = num1 / den, b = num2 / den;
  return Float64Array.from([a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy), 0, 0, 1]);
}

/** A similarity (rotation, uniform scale, translation): x' = a·x − b·y + tx, y' = b·x + a·y + ty. */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * The similarity that maps src pair i onto dst pair i and src j onto dst j (closed form), written
 * into `out`; false when the two source points are closer than √minDen2 (no scale or rotation).
 * RANSAC's 2-point sample: no allocation, so it can run hundreds of times per candidate.
 */
export function similarityThrough(src: Float32Array, dst: Float32Array, i: number, j: number, minDen2: number, out: Similarity): boolean {
  const sx = src[2 * j]! - src[2 * i]!, sy = src[2 * j + 1]! - src[2 * i + 1]!;
  const dx = dst[2 * j]! - dst[2 * i]!, dy = dst[2 * j + 1]! - dst[2 * i + 1]!;
  const den = sx * sx + sy * sy;
  if (den < minDen2) return false;
  const a = (sx * dx + sy * dy) / den, b = (sx * dy - sy * dx) / den;
  out.a = a;
  out.b = b;
  out.tx = dst[2 * i]! - (a * src[2 * i]! - b * src[2 * i + 1]!);
  out.ty = dst[2 * i + 1]! - (b * src[2 * i]! + a * src[2 * i + 1]!);
  return true;
}

/** How many of the first n pairs `s` maps within √t2 pixels of their destination; marks them in `inliers` when given. */
export function countSimilar(s: Similarity, src: Float32Array, dst: Float32Array, n: number, t2: number, inliers?: Uint8Array): number {
  const { a, b, tx, ty } = s;
  let c = 0;
  for (let k = 0; k < n; k++) {
    const x = src[2 * k]!, y = src[2 * k + 1]!;
    const ex = a * x - b * y + tx - dst[2 * k]!, ey = b * x + a * y + ty - dst[2 * k + 1]!;
    const ok = ex * ex + ey * ey <= t2;
    if (inliers) inliers[k] = ok ? 1 : 0;
    if (ok) c++;
  }
  return c;
}

/**
 * Smallest cos θ of a similarity (a = scale·cos θ) turned by at most `maxRotation` degrees: a model
 * is within it when a ≥ minRotationCosine · scale. Below −1 for 180 (any turn).
 */
export function minRotationCosine(maxRotation: number): number {
  return maxRotation >= 180 ? -2 : Math.cos((maxRotation * Math.PI) / 180);
}

/** In-plane rotation (degrees, 0–180) of a homography's linear part (that of its nearest similarity). */
export function rotationOf(h: Homography): number {
  return Math.abs((Math.atan2(h[3]! - h[1]!, h[0]! + h[4]!) * 180) / Math.PI);
}

/**
 * RANSAC over similarity transforms (2-point samples), refined by least squares on the inliers.
 * A product photographed from the front is close to a similarity of its catalog image; the 2-point
 * model needs ~100 samples where a homography's 4-point model needs thousands at low inlier
 * ratios, and runs in plain JS in well under a millisecond (OpenCV's findHomography took 70–140 ms
 * per candidate here). Deterministic: samples come from a fixed-seed generator. Samples turned
 * beyond `maxRotation` degrees are not considered (the refined model may drift a little past it).
 */
export function fitSimilarity(src: Float32Array, dst: Float32Array, thresholdPx: number, { maxIterations = 400, maxRotation = 180 }: { maxIterations?: number; maxRotation?: number } = {}): HomographyFit | null {
  const n = src.length / 2;
  const minCos = minRotationCosine(maxRotation);
  if (n < 3) return null;
  const t2 = thresholdPx * thresholdPx;
  let seed = 0x9e3779b9 ^ n;
  const rand = (): number => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let best: Homography | null = null;
  let bestCount = 0;
  let iterations = maxIterations;
  const sample: Similarity = { a: 1, b: 0, tx: 0, ty: 0 };
  for (let it = 0; it < iterations; it++) {
    const i = Math.floor(rand() * n);
    let j = Math.floor(rand() * (n - 1));
    if (j >= i) j++;
    if (!similarityThrough(src, dst, i, j, 1e-6, sample)) continue;
    // isPlausible refuses area ratios (scale²) outside 0.02–50: do not count such a model's inliers.
    const s2 = sample.a * sample.a + sample.b * sample.b;
    if (!(s2 > 0.02 && s2 < 50) || sample.a < minCos * Math.sqrt(s2)) continue;
    const c = countSimilar(sample, src, dst, n, t2);
    if (c > bestCount) {
      bestCount = c;
      best = Float64Array.from([sample.a, -sample.b, sample.tx, sample.b, sample.a, sample.ty, 0, 0, 1]);
      // Adaptive stop: enough samples for 99% confidence at the observed inlier ratio.
      const w = c / n;
      iterations = Math.min(maxIterations, Math.ceil(Math.log(0.01) / Math.log(Math.max(1e-9, 1 - w * w))));
    }
  }
  if (!best || bestCount < 3) return null;
  const inliers = new Uint8Array(n);
  countProjective(best, src, dst, t2, inliers);
  for (let round = 0; round < 2; round++) {
    const idx: number[] = [];
    inliers.forEach((v, i) => { if (v) idx.push(i); });
    const refined = similarityFrom(src, dst, idx);
    if (!refined) break;
    const c = countProjective(refined, src, dst, t2);
    if (c < bestCount) break;
    best = refined;
    bestCount = countProjective(refined, src, dst, t2, inliers);
  }
  return { homography: best, inliers, inlierCount: bestCount };
}

/** Point i's squared distance to its destination under a full homography (Infinity behind the camera). */
function projectiveError2(h: Homography, src: Float32Array, dst: Float32Array, i: number): number {
  const x = src[2 * i]!, y = src[2 * i + 1]!;
  const w = h[6]! * x + h[7]! * y + h[8]!;
  if (!(w > 1e-9)) return Infinity;
  const ex = (h[0]! * x + h[1]! * y + h[2]!) / w - dst[2 * i]!;
  const ey = (h[3]! * x + h[4]! * y + h[5]!) / w - dst[2 * i + 1]!;
  return ex * ex + ey * ey;
}

/** Pairs within √t2 px of their destination under a homography (a similarity too: w = 1); marked in `out` when given. */
function countProjective(h: Homography, src: Float32Array, dst: Float32Array, t2: number, out?: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < src.length / 2; i++) {
    const ok = projectiveError2(h, src, dst, i) <= t2;
    if (out) out[i] = ok ? 1 : 0;
    if (ok) c++;
  }
  return c;
}

/** Translation and scale that move the listed points' centroid to 0 and their mean distance to √2 (Hartley). */
function normaliser(p: Float32Array, idx: number[]): [number, number, number] {
  let cx = 0, cy = 0;
  for (const i of idx) { cx += p[2 * i]!; cy += p[2 * i + 1]!; }
  cx /= idx.length; cy /= idx.length;
  let d = 0;
  for (const i of idx) d += Math.hypot(p[2 * i]! - cx, p[2 * i + 1]! - cy);
  d /= idx.length;
  return [cx, cy, d > 1e-9 ? Math.SQRT2 / d : 0];
}

/**
 * Homography fitted by least squares to the listed pairs (normalised DLT with h33 = 1, solved from
 * its 8×8 normal equations); null when degenerate (fewer than 5 pairs, collinear points).
 */
export function homographyFrom(src: Float32Array, dst: Float32Array, idx: number[]): Homography | null {
  if (idx.length < 5) return null;
  const [sx, sy, ss] = normaliser(src, idx);
  const [dx, dy, ds] = normaliser(dst, idx);
  if (ss === 0 || ds === 0) return null;
  const A = new Float64Array(64), b = new Float64Array(8), row = new Float64Array(8);
  const add = (r: Float64Array, t: number): void => {
    for (let i = 0; i < 8; i++) {
      b[i]! += r[i]! * t;
      for (let j = 0; j < 8; j++) A[i * 8 + j]! += r[i]! * r[j]!;
    }
  };
  for (const k of idx) {
    const x = (src[2 * k]! - sx) * ss, y = (src[2 * k + 1]! - sy) * ss;
    const u = (dst[2 * k]! - dx) * ds, v = (dst[2 * k + 1]! - dy) * ds;
    row.set([x, y, 1, 0, 0, 0, -u * x, -u * y]); add(row, u);
    row.set([0, 0, 0, x, y, 1, -v * x, -v * y]); add(row, v);
  }
  const h = solve8(A, b);
  if (!h) return null;
  // H = Tdst⁻¹ · Hn · Tsrc, with T = [s 0 −s·cx; 0 s −s·cy; 0 0 1].
  const n = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, 1];
  const ts = [ss, 0, -ss * sx, 0, ss, -ss * sy, 0, 0, 1];
  const td = [1 / ds, 0, dx, 0, 1 / ds, dy, 0, 0, 1];
  const out = multiply3(td, multiply3(n, ts));
  const z = out[8]!;
  if (!(Math.abs(z) > 1e-12)) return null;
  return Float64Array.from(out, (v) => v / z);
}

/** The product a·b of two row-major 3×3 matrices (homographies composed: b first, then a). */
export function multiply3(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const o = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) o[i * 3 + j]! += a[i * 3 + k]! * b[k * 3 + j]!;
  return o;
}

/** Gaussian elimination with partial pivoting on an 8×8 system (A, b are overwritten); null when singular. */
function solve8(A: Float64Array, b: Float64Array): Float64Array | null {
  const n = 8;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]!) > Math.abs(A[p * n + c]!)) p = r;
    if (!(Math.abs(A[p * n + c]!) > 1e-12)) return null;
    if (p !== c) {
      for (let j = 0; j < n; j++) { const t = A[c * n + j]!; A[c * n + j] = A[p * n + j]!; A[p * n + j] = t; }
      const t = b[c]!; b[c] = b[p]!; b[p] = t;
    }
    for (let r = c + 1; r < n; r++) {
      const f = A[r * n + c]! / A[c * n + c]!;
      if (f === 0) continue;
      for (let j = c; j < n; j++) A[r * n + j]! -= f * A[c * n + j]!;
      b[r]! -= f * b[c]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let j = r + 1; j < n; j++) s -= A[r * n + j]! * x[j]!;
    x[r] = s / A[r * n + r]!;
  }
  return x;
}

/**
 * How far a homography is from an affine map over a src rectangle: the largest ratio of its
 * perspective divisor w between the rectangle's corners (1 for an affine map; a product photographed
 * 35° off its axis is about 1.6).
 */
export function perspectiveRatio(h: Homography, width: number, height: number): number {
  const ws = [[0, 0], [width, 0], [width, height], [0, height]].map(([x, y]) => h[6]! * x! + h[7]! * y! + h[8]!);
  const lo = Math.min(...ws), hi = Math.max(...ws);
  return lo > 1e-9 ? hi / lo : Infinity;
}

/** Ratio of the largest to the smallest singular value of a homography's Jacobian at (x, y): 1 for a similarity. */
export function anisotropy(h: Homography, x: number, y: number): number {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  const u = (h[0]! * x + h[1]! * y + h[2]!) / w, v = (h[3]! * x + h[4]! * y + h[5]!) / w;
  const a = (h[0]! - h[6]! * u) / w, b = (h[1]! - h[7]! * u) / w, c = (h[3]! - h[6]! * v) / w, d = (h[4]! - h[7]! * v) / w;
  const s = a * a + b * b + c * c + d * d, det = Math.abs(a * d - b * c);
  const root = Math.sqrt(Math.max(0, s * s - 4 * det * det));
  const small = Math.sqrt(Math.max(0, (s - root) / 2));
  return small > 1e-12 ? Math.sqrt((s + root) / 2) / small : Infinity;
}

export interface GrowOptions {
  /** Inlier thresholds (× RANSAC's) of the successive least-squares refits. */
  widen: number[];
  /** Largest perspective ratio over the catalogue frame (perspectiveRatio). */
  maxPerspective: number;
  /** Largest anisotropy at the frame's centre (a product turned 45° away from the camera: √2). */
  maxAnisotropy: number;
  /** Share of the similarity's inliers a refit must keep. */
  keep: number;
  /** Inliers the homography must add (at least this many, and this share of the similarity's) to replace it. */
  minGain: number;
  minGainShare: number;
}

export const DEFAULT_GROW_OPTIONS: GrowOptions = { widen: [3, 2, 1.5, 1], maxPerspective: 2, maxAnisotropy: 1.3, keep: 0.9, minGain: 4, minGainShare: 0.15 };

/**
 * A similarity fit grown into a homography (local optimisation as in LO-RANSAC): a homography is
 * fitted by least squares to the pairs within `widen` × the threshold of the current model, for
 * each step of `widen`, and kept when it maps more pairs within the threshold. A product
 * photographed at an angle is a perspective view of its catalogue image: the similarity holds only
 * near the middle of it and sheds the inliers further out. Returns the fit it was given when no
 * homography does better or when one would be more perspective than `maxPerspective` over the
 * src rectangle.
 */
export function growToHomography(fit: HomographyFit, src: Float32Array, dst: Float32Array, thresholdPx: number, frame: { width: number; height: number }, o: GrowOptions = DEFAULT_GROW_OPTIONS): HomographyFit {
  const t2 = thresholdPx * thresholdPx;
  const n = src.length / 2;
  const start = countProjective(fit.homography, src, dst, t2);
  let best = fit.homography, bestCount = start;
  let current = best;
  for (const k of o.widen) {
    const wide = k * k * t2;
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (projectiveError2(current, src, dst, i) <= wide) idx.push(i);
    const h = homographyFrom(src, dst, idx);
    if (!h || perspectiveRatio(h, frame.width, frame.height) > o.maxPerspective || anisotropy(h, frame.width / 2, frame.height / 2) > o.maxAnisotropy) continue;
    current = h;
    // The similarity's own inliers must stay (a homography bent onto other points is another placement).
    let kept = 0;
    for (let i = 0; i < n; i++) if (fit.inliers[i] && projectiveError2(h, src, dst, i) <= t2) kept++;
    if (kept < o.keep * fit.inlierCount) continue;
    const c = countProjective(h, src, dst, t2);
    if (c > bestCount) { best = h; bestCount = c; }
  }
  if (best === fit.homography || bestCount < start + Math.max(o.minGain, o.minGainShare * start)) return fit;
  const inliers = new Uint8Array(n);
  countProjective(best, src, dst, t2, inliers);
  return { homography: best, inliers, inlierCount: bestCount };
}
