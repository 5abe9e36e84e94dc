import type { GrayImage, RgbImage } from '../../imaging/types.js';
import { RequestWorker } from '../../workers/request-worker.js';
import { detectLevels, extractLocalFeatures, mergeKeypoints, PYRAMID, selectKeypoints, toLuma, tooSmallForOrb, type LevelRange, type LocalFeatureOptions, type LocalFeatures, type RawKeypoints } from './local-features.js';
import { loadOpenCv, nativeOrb } from './opencv.js';

/** @internal Messages between OrbLevelsWorker and orb-levels.worker.ts. */
export interface OrbLevelsRequest {
  id: number;
  data: Uint8Array;
  width: number;
  height: number;
  options: LocalFeatureOptions;
  range: LevelRange;
}

/**
 * The pyramid levels the main thread detects; the worker takes the rest. Levels 0–1 hold 1.69 of
 * the 3.1 units of pixels of an 8-level 1.2 pyramid, and their ORB time is about the other six's
 * (tuning photos, 640 px: 47 vs 47 ms, one run of all eight 94 ms).
 */
const LOWER: LevelRange = { first: 0, count: 2 };
const UPPER: LevelRange = { first: 2, count: PYRAMID.levels - 2 };

/**
 * ORB for query photos on two cores: one worker thread detects the upper pyramid levels while the
 * calling thread detects the lower ones, and the merged keypoints go through the same selection as
 * extractLocalFeatures. The worker starts on first use, loads OpenCV once, and does not keep the
 * process alive when idle; if it fails, the levels are detected here (never an error for that).
 * With the native addon (opencv.ts nativeOrb) the addon splits the levels over two threads itself.
 */
export class OrbLevelsWorker {
  private readonly worker = new RequestWorker<Omit<OrbLevelsRequest, 'id'>, { raw: RawKeypoints }>(import.meta.url, 'orb-levels.worker');

  async extract(img: RgbImage | GrayImage, options: LocalFeatureOptions): Promise<LocalFeatures> {
    // The native build splits the pyramid over two threads itself, with no message round trip.
    if (nativeOrb() || tooSmallForOrb(img)) return extractLocalFeatures(img, options);
    const { cv } = await loadOpenCv();
    const gray = toLuma(img);
    // The pixels are copied to the worker: the caller's stay usable.
    const upper = this.worker.request({ data: gray.data, width: gray.width, height: gray.height, options, range: UPPER })
      .then((r) => r.raw, () => detectLevels(cv, gray, options, UPPER));
    const lower = detectLevels(cv, gray, options, LOWER);
    return selectKeypoints(mergeKeypoints([lower, await upper]), gray, options);
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
