import { describe, expect, it } from 'vitest';
import { card } from '../../../test/factories/gray-card.js';
import { detectLevels, detectNative, PYRAMID, type LocalFeatureOptions, type RawKeypoints } from './local-features.js';
import { loadOpenCv, nativeOrb, useNativeOrb } from './opencv.js';

/** Keypoint position → descriptor (hex), to compare detections whatever their order. */
function byPosition(raw: RawKeypoints): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < raw.count; i++) {
    out.set(`${raw.xy[2 * i]!.toFixed(2)},${raw.xy[2 * i + 1]!.toFixed(2)}`, Buffer.from(raw.descriptors.subarray(i * 32, i * 32 + 32)).toString('hex'));
  }
  return out;
}

/** Keypoint position → ORB orientation (degrees). */
function anglesByPosition(raw: RawKeypoints): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < raw.count; i++) out.set(`${raw.xy[2 * i]!.toFixed(2)},${raw.xy[2 * i + 1]!.toFixed(2)}`, raw.angle![i]!);
  return out;
}

function hamming(a: string, b: string): number {
  const x = Buffer.from(a, 'hex'), y = Buffer.from(b, 'hex');
  let d = 0;
  for (let i = 0; i < x.length; i++) for (let v = x[i]! ^ y[i]!; v; v &= v - 1) d++;
  return d;
}

describe('native ORB (system OpenCV addon)', () => {
  // CI installs OpenCV's headers (.ci/run), so there the addon must have been built by `npm ci`.
  it.runIf(process.env.CI === 'true')('is built when OpenCV headers are installed', () => {
    expect(nativeOrb()).not.toBeNull();
  });

  it.runIf(nativeOrb() !== null)('finds the keypoints of the WASM build, with nearly all descriptors bit-identical and the same orientations', async () => {
    const { cv } = await loadOpenCv();
    for (const options of [{ maxKeypoints: 4000, fastThreshold: 7 }, { maxKeypoints: 1500, blurSigma: 1 }] as LocalFeatureOptions[]) {
      const image = card(640, 480, 5, 500);
      const wasmRaw = detectLevels(cv, image, options, { first: 0, count: PYRAMID.levels });
      const nativeRaw = detectNative(image, options)!;
      const wasm = byPosition(wasmRaw);
      const native = byPosition(nativeRaw);
      const wasmAngles = anglesByPosition(wasmRaw);
      const turns = [...anglesByPosition(nativeRaw)].map(([at, a]) => Math.abs(((a - wasmAngles.get(at)! + 540) % 360) - 180));
      expect(turns.filter((t) => t < 1).length / turns.length).toBeGreaterThan(0.95);
      expect(wasm.size).toBeGreaterThan(1000);
      expect([...native.keys()].sort()).toEqual([...wasm.keys()].sort());
      let same = 0;
      for (const [at, d] of native) {
        if (d === wasm.get(at)) same++;
        else expect(hamming(d, wasm.get(at)!)).toBeLessThanOrEqual(64);
      }
      expect(same / native.size).toBeGreaterThan(0.9);
    }
  }, 30_000);

  it.runIf(nativeOrb() !== null)('on two threads finds exactly the keypoints and descriptors of one, and leaves the pixels alone', () => {
    for (const options of [{ maxKeypoints: 4000, fastThreshold: 7 }, { maxKeypoints: 1500, blurSigma: 1 }] as LocalFeatureOptions[]) {
      const image = card(640, 480, 9, 500);
      const before = Buffer.from(image.data);
      const one = detectNative(image, options, 1)!;
      const two = detectNative(image, options, 2)!;
      expect(one.count).toBeGreaterThan(1000);
      expect(two.count).toBe(one.count);
      expect([...byPosition(two)].sort()).toEqual([...byPosition(one)].sort());
      expect(Buffer.from(image.data).equals(before)).toBe(true);
    }
  });

  it.runIf(nativeOrb() !== null)('rejects pixels that do not fit the size, and bad parameters', () => {
    expect(() => nativeOrb()!.orbDetect(new Uint8Array(10), 4, 4, 100, 1.2, 8, 12, 0)).toThrow(/wrong size/);
    expect(() => nativeOrb()!.orbDetect(new Uint8Array(16), 4, 4, 100, 1, 8, 12, 0)).toThrow(/bad ORB parameters/);
    expect(() => nativeOrb()!.orbDetect(new Uint8Array(16), 4, 4, 0, 1.2, 8, 12, 0)).toThrow(/bad ORB parameters/);
  });

  it('can be turned off (configuration nativeOrb, SHOPLENS_NATIVE_ORB=off): the WASM build then detects', () => {
    useNativeOrb(false);
    try {
      expect(nativeOrb()).toBeNull();
      expect(detectNative(card(64, 64), { maxKeypoints: 10 })).toBeNull();
    } finally {
      useNativeOrb(true);
    }
  });
});
