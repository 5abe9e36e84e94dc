import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { card } from '../../../test/factories/gray-card.js';
import { extractLocalFeatures, keypointsPerLevel, type LocalFeatures } from './local-features.js';
import { useNativeOrb } from './opencv.js';
import { OrbLevelsWorker } from './orb-levels.js';

/** Keypoints as sorted "x,y,descriptor" strings (the order of merged levels may differ). */
function keypoints(f: LocalFeatures): string[] {
  return Array.from({ length: f.count }, (_, i) => `${f.xy[2 * i]!.toFixed(3)},${f.xy[2 * i + 1]!.toFixed(3)},${Buffer.from(f.descriptors.subarray(i * 32, i * 32 + 32)).toString('hex')}`).sort();
}

describe('ORB on two threads (pyramid levels split)', () => {
  const worker = new OrbLevelsWorker();
  // The split is the WASM build's path; with the native addon the levels are never split.
  beforeAll(() => useNativeOrb(false));
  afterAll(async () => {
    useNativeOrb(true);
    await worker.close();
  });
  const options = { maxKeypoints: 1500, fastThreshold: 7, spread: { detect: 4000, grid: 8 } };

  it('allots keypoints to levels as OpenCV does, summing to the total', () => {
    const per = keypointsPerLevel(8000);
    expect(per).toHaveLength(8);
    expect(per.reduce((a, b) => a + b, 0)).toBe(8000);
    expect(per[0]).toBe(1737); // 8000 · (1 − 1/1.2) / (1 − 1.2^−8) = 1737.4
    for (let l = 1; l < 7; l++) expect(per[l]!).toBeLessThan(per[l - 1]!);
  });

  it('gives exactly the keypoints of one ORB run over all levels', async () => {
    const image = card(640, 480, 11, 400);
    const one = await extractLocalFeatures(image, options);
    const split = await worker.extract(image, options);
    expect(one.count).toBeGreaterThan(1000);
    expect(split.count).toBe(one.count);
    expect(keypoints(split)).toEqual(keypoints(one));
  }, 30_000);

  it('detects on the calling thread once the worker is gone', async () => {
    const image = card(320, 240, 3, 120);
    const w = new OrbLevelsWorker();
    await w.extract(image, options);
    await w.close();
    const after = await w.extract(image, options);
    expect(keypoints(after)).toEqual(keypoints(await extractLocalFeatures(image, options)));
  }, 30_000);
});
