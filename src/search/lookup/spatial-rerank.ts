/**
 * Fast spatial re-ranking of inverted-file candidates (Philbin et al., "Object retrieval with large
 * vocabularies and fast spatial matching", CVPR 2007): a query keypoint and a catalog keypoint with
 * the same visual word are a tentative correspondence; a 2-point similarity RANSAC over those
 * correspondences counts how many agree on one placement of the product in the photo. In a
 * cluttered photo most shared words come from the clutter and fall anywhere; the product's fall on
 * one similarity. No descriptor is compared, so a few hundred candidates cost a few milliseconds,
 * and only the best of them go on to descriptor matching (verify.ts).
 */

import { seededRandom } from '../../eval/random.js';

/** Keypoint positions and visual words of every indexed catalog image, in inverted-file slot order. */
export class CatalogGeometry {
  /** Start of each image's keypoints in `words` / `xy` (length images + 1). */
  private readonly offsets: Uint32Array;
  private readonly words: Uint32Array;
  /** x, y per keypoint in quarter pixels of the analysed catalog image. */
  private readonly xy: Uint16Array;
  /** How often the keypoint's word occurs in its own image (bursts are skipped). */
  private readonly counts: Uint16Array;

  constructor(docs: readonly { words: Uint32Array; xy: Float32Array }[]) {
    this.offsets = new Uint32Array(docs.length + 1);
    docs.forEach((d, i) => { this.offsets[i + 1] = this.offsets[i]! + d.words.length; });
    const n = this.offsets[docs.length]!;
    this.words = new Uint32Array(n);
    this.xy = new Uint16Array(2 * n);
    this.counts = new Uint16Array(n);
    docs.forEach((d, i) => {
      const o = this.offsets[i]!;
      this.words.set(d.words, o);
      const local = new Map<number, number>();
      for (const w of d.words) local.set(w, (local.get(w) ?? 0) + 1);
      for (let k = 0; k < d.words.length; k++) {
        this.counts[o + k] = Math.min(65535, local.get(d.words[k]!)!);
        this.xy[2 * (o + k)] = Math.min(65535, Math.max(0, Math.round(d.xy[2 * k]! * 4)));
        this.xy[2 * (o + k) + 1] = Math.min(65535, Math.max(0, Math.round(d.xy[2 * k + 1]! * 4)));
      }
    });
  }

  get memoryBytes(): number {
    return this.offsets.byteLength + this.words.byteLength + this.xy.byteLength + this.counts.byteLength;
  }

  /** Tentative correspondences of image `slot` with the query, as catalog xy → query xy (pixels). */
  correspondences(slot: number, query: QueryWords, maxPairs: number, src: Float32Array, dst: Float32Array): number {
    let n = 0;
    const cap = src.length / 2;
    for (let k = this.offsets[slot]!, end = this.offsets[slot + 1]!; k < end && n < cap; k++) {
      const w = this.words[k]!;
      const qc = query.count[w]!;
      // A word repeated on both sides (texture, clutter) makes qc × count pairs, nearly all wrong.
      if (qc === 0 || qc * this.counts[k]! > maxPairs) continue;
      for (let i = query.head[w]!; i >= 0 && n < cap; i = query.next[i]!) {
        src[2 * n] = this.xy[2 * k]! / 4;
        src[2 * n + 1] = this.xy[2 * k + 1]! / 4;
        dst[2 * n] = query.xy[2 * i]!;
        dst[2 * n + 1] = query.xy[2 * i + 1]!;
        n++;
      }
    }
    return n;
  }
}

/** The query's keypoints grouped by visual word (linked lists over a word-indexed table). */
export class QueryWords {
  readonly head: Int32Array;
  readonly next: Int32Array;
  readonly count: Uint16Array;

  constructor(vocabularySize: number, words: Uint32Array, readonly xy: Float32Array) {
    this.head = new Int32Array(vocabularySize).fill(-1);
    this.next = new Int32Array(words.length);
    this.count = new Uint16Array(vocabularySize);
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      this.next[i] = this.head[w]!;
      this.head[w] = i;
      if (this.count[w]! < 65535) this.count[w]!++;
    }
  }
}

export interface SpatialOptions {
  /** Largest (query occurrences × catalog occurrences) of a word that still yields correspondences. */
  maxPairs: number;
  /** Inlier distance as a fraction of the query's longest side (looser than verification: words are coarse). */
  threshold: number;
  /** RANSAC samples per candidate (fewer when the inlier ratio allows). */
  iterations: number;
  /** Samples in the coarse first pass over every candidate (SpatialReranker.score's `coarse`). */
  coarseIterations: number;
  /** Plausible scale of catalog → query pixels (a similarity outside it is a chance fit). */
  minScale: number;
  maxScale: number;
}

export const DEFAULT_SPATIAL_OPTIONS: SpatialOptions = { maxPairs: 4, threshold: 0.02, iterations: 100, coarseIterations: 50, minScale: 0.05, maxScale: 8 };

/** Most correspondences considered per candidate. */
const MAX_CORRESPONDENCES = 2048;

export interface SpatialScore {
  /** Distinct query positions whose word correspondences agree with the best similarity. */
  inliers: number;
  /** That similarity, catalog pixels → query pixels: x' = a·x − b·y + tx, y' = b·x + a·y + ty. */
  similarity?: { a: number; b: number; tx: number; ty: number };
}

/**
 * Scores candidates (inverted-file slots) by their count of spatially consistent word
 * correspondences: distinct query positions (3 px grid) agreeing with the best 2-point similarity.
 */
export class SpatialReranker {
  private readonly src = new Float32Array(2 * MAX_CORRESPONDENCES);
  private readonly dst = new Float32Array(2 * MAX_CORRESPONDENCES);
  private readonly inlier = new Uint8Array(MAX_CORRESPONDENCES);

  constructor(private readonly geometry: CatalogGeometry, private readonly options: SpatialOptions = DEFAULT_SPATIAL_OPTIONS) {}

  /** `coarse`: a quick pass (coarseIterations samples) that finds the placements with a high inlier ratio. */
  score(slot: number, query: QueryWords, querySide: number, coarse = false): SpatialScore {
    const n = this.geometry.correspondences(slot, query, this.options.maxPairs, this.src, this.dst);
    if (n < 3) return { inliers: 0 };
    const samples = coarse ? this.options.coarseIterations : this.options.iterations;
    const { count, similarity } = consistentCount(this.src, this.dst, n, this.options.threshold * querySide, { ...this.options, iterations: samples }, this.inlier);
    if (count < 3) return { inliers: count };
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      if (this.inlier[i]) seen.add(Math.round(this.dst[2 * i]! / 3) * 100_000 + Math.round(this.dst[2 * i + 1]! / 3));
    }
    return { inliers: seen.size, similarity };
  }
}

/**
 * Largest number of correspondences a 2-point similarity explains within `threshold` pixels
 * (seeded RANSAC, deterministic); marks them in `inlier`.
 */
function consistentCount(src: Float32Array, dst: Float32Array, n: number, threshold: number, o: SpatialOptions, inlier: Uint8Array): { count: number; similarity: NonNullable<SpatialScore['similarity']> } {
  const t2 = threshold * threshold;
  const min2 = o.minScale * o.minScale, max2 = o.maxScale * o.maxScale;
  const rand = seededRandom(0x2545f491 ^ n);
  let bestCount = 0;
  let ba = 1, bb = 0, btx = 0, bty = 0;
  let iterations = o.iterations;
  for (let it = 0; it < iterations; it++) {
    const i = Math.floor(rand() * n);
    let j = Math.floor(rand() * (n - 1));
    if (j >= i) j++;
    const sx = src[2 * j]! - src[2 * i]!, sy = src[2 * j + 1]! - src[2 * i + 1]!;
    const dx = dst[2 * j]! - dst[2 * i]!, dy = dst[2 * j + 1]! - dst[2 * i + 1]!;
    const den = sx * sx + sy * sy;
    if (den < 4) continue;
    // dst = [a −b; b a]·src + t
    const a = (sx * dx + sy * dy) / den, b = (sx * dy - sy * dx) / den;
    const s2 = a * a + b * b;
    if (s2 < min2 || s2 > max2) continue;
    const tx = dst[2 * i]! - (a * src[2 * i]! - b * src[2 * i + 1]!);
    const ty = dst[2 * i + 1]! - (b * src[2 * i]! + a * src[2 * i + 1]!);
    let c = 0;
    for (let k = 0; k < n; k++) {
      const x = src[2 * k]!, y = src[2 * k + 1]!;
      const ex = a * x - b * y + tx - dst[2 * k]!, ey = b * x + a * y + ty - dst[2 * k + 1]!;
      if (ex * ex + ey * ey <= t2) c++;
    }
    if (c > bestCount) {
      bestCount = c;
      ba = a; bb = b; btx = tx; bty = ty;
      const w = c / n;
      iterations = Math.min(o.iterations, Math.ceil(Math.log(0.01) / Math.log(Math.max(1e-9, 1 - w * w))));
    }
  }
  for (let k = 0; k < n; k++) {
    const x = src[2 * k]!, y = src[2 * k + 1]!;
    const ex = ba * x - bb * y + btx - dst[2 * k]!, ey = bb * x + ba * y + bty - dst[2 * k + 1]!;
    inlier[k] = bestCount > 0 && ex * ex + ey * ey <= t2 ? 1 : 0;
  }
  return { count: bestCount, similarity: { a: ba, b: bb, tx: btx, ty: bty } };
}
