import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../eval/random.js';
import { anisotropy, DEFAULT_GROW_OPTIONS, fitSimilarity, growToHomography, homographyFrom, multiply3, perspectiveRatio, project, type Homography } from './geometry.js';

/** A 400×400 catalogue frame at half scale, as a plane turned `degrees` about its x axis at the focal distance, in a 640×480 photo. */
function tilted(degrees: number): Homography {
  const t = (degrees * Math.PI) / 180, f = 576;
  const toCentre = [0.5, 0, -100, 0, 0.5, -100, 0, 0, 1];
  // (x, y, 0) turned and placed at depth f, then projected: (f·x, f·cos t·y) / (sin t·y + f).
  const turn = [f, 0, 0, 0, f * Math.cos(t), 0, 0, Math.sin(t), f];
  const back = [1, 0, 320, 0, 1, 240, 0, 0, 1];
  return Float64Array.from(multiply3(back, multiply3(turn, toCentre)));
}

/** `n` catalogue points mapped by `h` (with ±`noise` px), then `outliers` random pairs. */
function correspondences(h: Homography, n: number, outliers: number, noise = 0.5, seed = 1): { src: Float32Array; dst: Float32Array } {
  const r = seededRandom(seed);
  const src = new Float32Array(2 * (n + outliers)), dst = new Float32Array(2 * (n + outliers));
  for (let i = 0; i < n + outliers; i++) {
    const x = r() * 400, y = r() * 400;
    src[2 * i] = x; src[2 * i + 1] = y;
    const p = project(h, x, y)!;
    dst[2 * i] = i < n ? p[0] + (r() - 0.5) * 2 * noise : r() * 640;
    dst[2 * i + 1] = i < n ? p[1] + (r() - 0.5) * 2 * noise : r() * 480;
  }
  return { src, dst };
}

const frame = { width: 400, height: 400 };

describe('homographies beyond the similarity (a product photographed at an angle)', () => {
  it('fits a perspective homography by least squares and refuses collinear points', () => {
    const h = tilted(30);
    const { src, dst } = correspondences(h, 30, 0, 0);
    const fit = homographyFrom(src, dst, Array.from({ length: 30 }, (_, i) => i))!;
    for (const [x, y] of [[0, 0], [400, 0], [400, 400], [0, 400], [123, 321]]) {
      const want = project(h, x!, y!)!, got = project(fit, x!, y!)!;
      expect(got[0]).toBeCloseTo(want[0], 3);
      expect(got[1]).toBeCloseTo(want[1], 3);
    }
    const line = new Float32Array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(homographyFrom(line, line, [0, 1, 2, 3, 4, 5])).toBeNull();
    expect(homographyFrom(src, dst, [0, 1, 2, 3])).toBeNull();
  });

  it('measures how far a map is from a similarity', () => {
    const similarity = Float64Array.from([0.8, -0.6, 10, 0.6, 0.8, 20, 0, 0, 1]);
    expect(anisotropy(similarity, 200, 200)).toBeCloseTo(1, 6);
    expect(perspectiveRatio(similarity, 400, 400)).toBe(1);
    // Foreshortened by cos 30° along y at the frame's centre (1 / 0.866 = 1.155).
    expect(anisotropy(tilted(30), 200, 200)).toBeCloseTo(1 / Math.cos(Math.PI / 6), 2);
    expect(perspectiveRatio(tilted(30), 400, 400)).toBeGreaterThan(1.1);
    expect(perspectiveRatio(tilted(30), 400, 400)).toBeLessThan(DEFAULT_GROW_OPTIONS.maxPerspective);
  });

  it('grows a tilted product\'s similarity into its homography: the inliers far from the middle come back', () => {
    const { src, dst } = correspondences(tilted(35), 120, 120);
    const similar = fitSimilarity(src, dst, 5)!;
    const grown = growToHomography(similar, src, dst, 5, frame);
    expect(similar.inlierCount).toBeLessThan(100);
    expect(grown.inlierCount).toBeGreaterThanOrEqual(118);
    expect(grown.inlierCount).toBeLessThanOrEqual(125);
    // The inliers are the product's points, not the clutter's.
    expect(Array.from(grown.inliers.subarray(0, 120)).filter(Boolean).length).toBeGreaterThanOrEqual(118);
    const corner = project(grown.homography, 400, 400)!, want = project(tilted(35), 400, 400)!;
    expect(Math.hypot(corner[0] - want[0], corner[1] - want[1])).toBeLessThan(3);
  });

  it('leaves a similarity as it is when the photo is not tilted, and refuses a stretched fit', () => {
    const straight = Float64Array.from([0.45, -0.2, 150, 0.2, 0.45, 100, 0, 0, 1]);
    const a = correspondences(straight, 80, 80);
    const similar = fitSimilarity(a.src, a.dst, 5)!;
    expect(growToHomography(similar, a.src, a.dst, 5, frame)).toBe(similar);
    // Another drawing's proportions (x stretched 1.6×): no similarity fits it all, and the homography
    // that would is too anisotropic to be a view of the same flat product.
    const stretched = Float64Array.from([0.8, 0, 100, 0, 0.5, 100, 0, 0, 1]);
    const b = correspondences(stretched, 80, 80, 0.5, 2);
    const fit = fitSimilarity(b.src, b.dst, 5)!;
    expect(growToHomography(fit, b.src, b.dst, 5, frame)).toBe(fit);
    expect(growToHomography(fit, b.src, b.dst, 5, frame, { ...DEFAULT_GROW_OPTIONS, maxAnisotropy: 2 }).inlierCount).toBeGreaterThan(fit.inlierCount + 10);
  });
});
