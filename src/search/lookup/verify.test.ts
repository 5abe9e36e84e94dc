import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../eval/random.js';
import { nativeOrb, useNativeOrb } from '../../features/local/opencv.js';
import { turnSteps, withinTurn } from '../../features/local/local-features.js';
import { multiply3, project } from '../../features/local/geometry.js';
import { DEFAULT_VERIFY_OPTIONS, matchDescriptors, verifyCandidate, type QuantizedFeatures, type VerifyOptions } from './verify.js';

/** Features with `n` descriptors: copies of `base` rows with `flips` random bits flipped, in `branches` branches. */
function features(n: number, seed: number, base?: Uint8Array, flips = 0, branches = 4): QuantizedFeatures {
  const r = seededRandom(seed);
  const descriptors = new Uint8Array(n * 32);
  for (let i = 0; i < n * 32; i++) descriptors[i] = base ? base[i % base.length]! : Math.floor(r() * 256);
  for (let i = 0; i < n; i++) for (let f = 0; f < flips; f++) { const bit = Math.floor(r() * 256); descriptors[i * 32 + (bit >> 3)]! ^= 1 << (bit & 7); }
  const xy = Float32Array.from({ length: 2 * n }, () => r() * 300);
  const branchOf = Uint8Array.from({ length: n }, (_, i) => (base ? i % (base.length / 32) : Math.floor(r() * 256)) % branches);
  return { features: { width: 300, height: 300, count: n, xy, descriptors }, words: new Uint32Array(n), branches: branchOf };
}

function pairs(a: Int32Array): string[] {
  return Array.from({ length: a.length / 2 }, (_, k) => `${a[2 * k]}:${a[2 * k + 1]}`);
}

afterEach(() => useNativeOrb(true));

function inJs<T>(f: () => T): T {
  useNativeOrb(false);
  try {
    return f();
  } finally {
    useNativeOrb(true);
  }
}

describe('matchDescriptors', () => {
  const catalog = features(200, 1);
  // The query: noisy copies of the catalog's descriptors (some far, beyond maxDistance) plus noise.
  const query: QuantizedFeatures = (() => {
    const near = features(200, 2, catalog.features.descriptors, 20);
    const far = features(100, 3, catalog.features.descriptors, 90);
    const noise = features(300, 4);
    const parts = [near, far, noise];
    const n = parts.reduce((s, p) => s + p.features.count, 0);
    const out = features(n, 5);
    let o = 0;
    for (const p of parts) {
      out.features.descriptors.set(p.features.descriptors, o * 32);
      out.branches.set(p === noise ? p.branches : catalog.branches.subarray(0, p.features.count), o);
      o += p.features.count;
    }
    return out;
  })();

  it('pairs noisy copies with their originals, each catalog descriptor once', () => {
    const found = pairs(matchDescriptors(query, catalog, DEFAULT_VERIFY_OPTIONS));
    const right = found.filter((p) => { const [j, q] = p.split(':').map(Number); return q! < 200 && j === q; });
    expect(right.length).toBeGreaterThan(190);
    expect(new Set(found.map((p) => p.split(':')[0])).size).toBe(found.length);
    // 90 flipped bits are beyond maxDistance (64): none of those copies is paired.
    expect(found.some((p) => { const q = Number(p.split(':')[1]); return q >= 200 && q < 300; })).toBe(false);
  });

  it.runIf(nativeOrb() !== null)('native addon and JS fallback give the same pairs in the same order', () => {
    const options: VerifyOptions[] = [DEFAULT_VERIFY_OPTIONS, { ...DEFAULT_VERIFY_OPTIONS, bucketed: false }, { ...DEFAULT_VERIFY_OPTIONS, accept: undefined, ratio: 0.7 }];
    for (const o of options) {
      const native = pairs(matchDescriptors(query, catalog, o));
      const js = inJs(() => pairs(matchDescriptors(query, catalog, o)));
      expect(native.length).toBeGreaterThan(150);
      expect(native).toEqual(js);
    }
  });

  it('pairs only keypoints whose orientations agree within maxTurn, natively and in JS', () => {
    const r = seededRandom(21);
    const withAngles = (f: QuantizedFeatures, angles: Uint8Array): QuantizedFeatures => ({ ...f, features: { ...f.features, angles } });
    const catalogAngles = Uint8Array.from({ length: catalog.features.count }, () => Math.floor(r() * 256));
    // Every query keypoint turned by 20 steps (28°) from its original (the far copies' too).
    const queryAngles = Uint8Array.from({ length: query.features.count }, (_, i) => (catalogAngles[i % 200]! + 20) & 255);
    const c = withAngles(catalog, catalogAngles);
    const within = { ...DEFAULT_VERIFY_OPTIONS, maxTurn: 45 };
    for (const run of [(f: () => Int32Array) => f(), inJs]) {
      const found = pairs(run(() => matchDescriptors(withAngles(query, queryAngles), c, within)));
      expect(found.filter((p) => { const [j, q] = p.split(':').map(Number); return q! < 200 && j === q; }).length).toBeGreaterThan(190);
      // Upside down, beyond 45°: nothing; with any turn allowed, the same pairs as without angles.
      const upsideDown = withAngles(query, queryAngles.map((a) => (a + 128) & 255));
      expect(run(() => matchDescriptors(upsideDown, c, within)).length).toBe(0);
      expect(pairs(run(() => matchDescriptors(upsideDown, c, DEFAULT_VERIFY_OPTIONS)))).toEqual(pairs(run(() => matchDescriptors(query, catalog, DEFAULT_VERIFY_OPTIONS))));
    }
    expect(withinTurn(250, 10, 16)).toBe(true);
    expect(withinTurn(10, 250, 16)).toBe(true);
    expect(withinTurn(10, 230, 16)).toBe(false);
    expect(turnSteps(60)).toBe(42);
    expect(turnSteps(180)).toBe(-1);
  });

  it('keeps close matches of repeated parts that the ratio test drops (accept)', () => {
    // A drawing with four identical corners: every photo corner has four equally close matches.
    const corner = features(1, 6).features.descriptors;
    const repeated = features(4, 7, corner, 0, 1);
    const photo = features(4, 8, corner, 6, 1);
    for (const run of [(f: () => Int32Array) => f(), inJs]) {
      expect(run(() => matchDescriptors(photo, repeated, { ...DEFAULT_VERIFY_OPTIONS, accept: undefined })).length).toBe(0);
      expect(run(() => matchDescriptors(photo, repeated, { ...DEFAULT_VERIFY_OPTIONS, accept: 40 })).length).toBeGreaterThan(0);
    }
  });
});

describe('verifyCandidate', () => {
  it('places a product photographed at an angle with a homography when asked to (perspective)', async () => {
    // The catalogue image's 150 keypoints seen through a camera turned 35° about the x axis, plus 150 clutter keypoints.
    const catalog = features(150, 31);
    const t = (35 * Math.PI) / 180, f = 576, c = Math.cos(t), sn = Math.sin(t);
    // back to the photo's centre · the frame as a plane turned about its x axis at the focal distance · its centre to the origin
    const turn = [f, 0, 0, 0, f * c, 0, 0, sn, f];
    const h = Float64Array.from(multiply3([1, 0, 320, 0, 1, 240, 0, 0, 1], multiply3(turn, [1, 0, -150, 0, 1, -150, 0, 0, 1])));
    const seen = features(150, 32, catalog.features.descriptors, 4);
    const clutter = features(150, 33);
    const n = 300;
    const xy = new Float32Array(2 * n);
    for (let i = 0; i < 150; i++) {
      const p = project(h, catalog.features.xy[2 * i]!, catalog.features.xy[2 * i + 1]!)!;
      xy[2 * i] = p[0]; xy[2 * i + 1] = p[1];
      xy[300 + 2 * i] = clutter.features.xy[2 * i]! * 2; xy[301 + 2 * i] = clutter.features.xy[2 * i + 1]! * 1.5;
    }
    const descriptors = new Uint8Array(n * 32);
    descriptors.set(seen.features.descriptors, 0);
    descriptors.set(clutter.features.descriptors, 150 * 32);
    const branches = new Uint8Array(n);
    branches.set(catalog.branches, 0);
    branches.set(clutter.branches, 150);
    const photo: QuantizedFeatures = { features: { width: 640, height: 480, count: n, xy, descriptors }, words: new Uint32Array(n), branches };
    const flat = await verifyCandidate(photo, catalog, DEFAULT_VERIFY_OPTIONS);
    const grown = await verifyCandidate(photo, catalog, { ...DEFAULT_VERIFY_OPTIONS, perspective: { minInliers: 8 } });
    expect(flat.inliers).toBeLessThan(130);
    expect(grown.inliers).toBeGreaterThan(140);
    expect(grown.coverage).toBeGreaterThan(flat.coverage - 1e-9);
    // The box: the catalogue keypoints' bounding box where the true homography puts it in the photo.
    const cx = Array.from({ length: 150 }, (_, i) => catalog.features.xy[2 * i]!), cy = Array.from({ length: 150 }, (_, i) => catalog.features.xy[2 * i + 1]!);
    const corners = [[Math.min(...cx), Math.min(...cy)], [Math.max(...cx), Math.min(...cy)], [Math.max(...cx), Math.max(...cy)], [Math.min(...cx), Math.max(...cy)]].map(([x, y]) => project(h, x!, y!)!);
    const want = { x0: Math.min(...corners.map((p) => p[0])), y0: Math.min(...corners.map((p) => p[1])), x1: Math.max(...corners.map((p) => p[0])), y1: Math.max(...corners.map((p) => p[1])) };
    const box = grown.box!;
    for (const [got, expected] of [[box.x, want.x0], [box.y, want.y0], [box.x + box.width, want.x1], [box.y + box.height, want.y1]] as const) expect(Math.abs(got - expected)).toBeLessThan(3);
  });
});
