/**
 * Fast spatial re-ranking of the index's candidates (Philbin et al., "Object retrieval with large
 * vocabularies and fast spatial matching", CVPR 2007): a query keypoint and a catalog keypoint in
 * the same visual word with close descriptors (the Hamming-embedding matches of hamming-index.ts)
 * are a tentative correspondence; a 2-point similarity RANSAC over those correspondences counts how
 * many agree on one placement of the product in the photo. In a cluttered photo most matches come
 * from the clutter and fall anywhere; the product's fall on one similarity. The matches are already
 * at hand, so a few hundred candidates cost a few milliseconds, and only the best of them go on to
 * full descriptor matching (verify.ts).
 */

import { seededRandom } from '../../eval/random.js';
import { countSimilar, minRotationCosine, similarityThrough, type Similarity } from '../../features/local/geometry.js';
import type { CandidateMatches } from './hamming-index.js';

export interface SpatialOptions {
  /** Largest (query keypoint's matches × catalog keypoint's matches) in one image that still yields a correspondence. */
  maxPairs: number;
  /** Inlier distance as a fraction of the query's longest side (looser than verification: no ratio test). */
  threshold: number;
  /** RANSAC samples per candidate (fewer when the inlier ratio allows). */
  iterations: number;
  /** Samples in the coarse first pass over every candidate (SpatialReranker.score's `coarse`). */
  coarseIterations: number;
  /** Plausible scale of catalog → query pixels (a similarity outside it is a chance fit). */
  minScale: number;
  maxScale: number;
  /** Largest plausible in-plane rotation of the product, in degrees (180: any). */
  maxRotation: number;
}

// maxPairs: with descriptor-filtered matches 16 keeps more of a product's repeated parts (tuning
// set at 10k: recall@10 0.76 → 0.79) than the 4 that word-only matches needed.
export const DEFAULT_SPATIAL_OPTIONS: SpatialOptions = { maxPairs: 16, threshold: 0.02, iterations: 100, coarseIterations: 50, minScale: 0.05, maxScale: 8, maxRotation: 180 };

/** Most correspondences considered per candidate. */
const MAX_CORRESPONDENCES = 2048;

export interface SpatialScore {
  /** Distinct query positions whose word correspondences agree with the best similarity. */
  inliers: number;
  /** That similarity, catalog pixels → query pixels: x' = a·x − b·y + tx, y' = b·x + a·y + ty. */
  similarity?: Similarity;
}

/**
 * Scores candidates (positions in a HammingIndex query's list) by their count of spatially consistent
 * matches: distinct query positions (3 px grid) agreeing with the best 2-point similarity.
 */
export class SpatialReranker {
  private readonly src = new Float32Array(2 * MAX_CORRESPONDENCES);
  private readonly dst = new Float32Array(2 * MAX_CORRESPONDENCES);
  private readonly inlier = new Uint8Array(MAX_CORRESPONDENCES);

  constructor(private readonly options: SpatialOptions = DEFAULT_SPATIAL_OPTIONS) {}

  /**
   * Candidate `c` of `matches`, with the query keypoints at `queryXy`. `coarse`: a quick pass
   * (coarseIterations samples) that finds the placements with a high inlier ratio.
   */
  score(matches: CandidateMatches, c: number, queryXy: Float32Array, querySide: number, coarse = false): SpatialScore {
    const n = matches.correspondences(c, queryXy, this.options.maxPairs, this.src, this.dst);
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
function consistentCount(src: Float32Array, dst: Float32Array, n: number, threshold: number, o: SpatialOptions, inlier: Uint8Array): { count: number; similarity: Similarity } {
  const t2 = threshold * threshold;
  const min2 = o.minScale * o.minScale, max2 = o.maxScale * o.maxScale;
  const minCos = minRotationCosine(o.maxRotation);
  const rand = seededRandom(0x2545f491 ^ n);
  let bestCount = 0;
  const best: Similarity = { a: 1, b: 0, tx: 0, ty: 0 };
  const sample: Similarity = { a: 1, b: 0, tx: 0, ty: 0 };
  let iterations = o.iterations;
  for (let it = 0; it < iterations; it++) {
    const i = Math.floor(rand() * n);
    let j = Math.floor(rand() * (n - 1));
    if (j >= i) j++;
    if (!similarityThrough(src, dst, i, j, 4, sample)) continue;
    const s2 = sample.a * sample.a + sample.b * sample.b;
    if (s2 < min2 || s2 > max2 || sample.a < minCos * Math.sqrt(s2)) continue;
    const c = countSimilar(sample, src, dst, n, t2);
    if (c > bestCount) {
      bestCount = c;
      Object.assign(best, sample);
      const w = c / n;
      iterations = Math.min(o.iterations, Math.ceil(Math.log(0.01) / Math.log(Math.max(1e-9, 1 - w * w))));
    }
  }
  if (bestCount > 0) countSimilar(best, src, dst, n, t2, inlier);
  else inlier.fill(0, 0, n);
  return { count: bestCount, similarity: { ...best } };
}
