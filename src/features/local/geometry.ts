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

function countInliers(h: Homography, src: Float32Array, dst: Float32Array, t2: number, out?: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < src.length / 2; i++) {
    const x = src[2 * i]!, y = src[2 * i + 1]!;
    const ex = h[0]! * x + h[1]! * y + h[2]! - dst[2 * i]!;
    const ey = h[3]! * x + h[4]! * y + h[5]! - dst[2 * i + 1]!;
    const ok = ex * ex + ey * ey <= t2;
    if (out) out[i] = ok ? 1 : 0;
    if (ok) c++;
  }
  return c;
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
  countInliers(best, src, dst, t2, inliers);
  for (let round = 0; round < 2; round++) {
    const idx: number[] = [];
    inliers.forEach((v, i) => { if (v) idx.push(i); });
    const refined = similarityFrom(src, dst, idx);
    if (!refined) break;
    const c = countInliers(refined, src, dst, t2);
    if (c < bestCount) break;
    best = refined;
    bestCount = countInliers(refined, src, dst, t2, inliers);
  }
  return { homography: best, inliers, inlierCount: bestCount };
}
