import type { Worker } from 'node:worker_threads';
import type { GrayImage, RgbImage } from '../../imaging/types.js';
import { startModuleWorker } from '../../workers/start-worker.js';
import { detectLevels, mergeKeypoints, PYRAMID, selectKeypoints, toLuma, type LevelRange, type LocalFeatureOptions, type LocalFeatures, type RawKeypoints } from './local-features.js';
import { loadOpenCv } from './opencv.js';

/** @internal Messages between OrbLevelsWorker and orb-levels.worker.ts. */
export interface OrbLevelsRequest {
  id: number;
  data: Uint8Array;
  width: number;
  height: number;
  options: LocalFeatureOptions;
  range: LevelRange;
}
/** @internal */
export type OrbLevelsReply = { id: number; raw: RawKeypoints } | { id: number; error: string };

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
 */
export class OrbLevelsWorker {
  private worker: Worker | null = null;
  private broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (raw: RawKeypoints) => void; reject: (err: Error) => void }>();

  async extract(img: RgbImage | GrayImage, options: LocalFeatureOptions): Promise<LocalFeatures> {
    const { cv } = await loadOpenCv();
    const gray = toLuma(img);
    const upper = this.detectInWorker(gray, options).catch(() => detectLevels(cv, gray, options, UPPER));
    const lower = detectLevels(cv, gray, options, LOWER);
    return selectKeypoints(mergeKeypoints([lower, await upper]), gray, options);
  }

  private detectInWorker(gray: GrayImage, options: LocalFeatureOptions): Promise<RawKeypoints> {
    if (this.broken) return Promise.reject(new Error('ORB worker unavailable'));
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      const request: OrbLevelsRequest = { id, data: gray.data, width: gray.width, height: gray.height, options, range: UPPER };
      worker.postMessage(request); // copied: the caller's pixels stay usable
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startModuleWorker(import.meta.url, 'orb-levels.worker');
    worker.unref();
    worker.on('message', (reply: OrbLevelsReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if ('raw' in reply) p.resolve(reply.raw);
      else p.reject(new Error(reply.error));
    });
    const fail = (err: Error): void => {
      this.broken = true;
      this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`ORB worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.broken = true;
    await worker?.terminate();
  }
}
