import { createRequire } from 'node:module';

/**
 * The one module that loads OpenCV (the WASM build from @techstark/opencv-js). Everything else
 * asks for keypoints, descriptors or a homography through local-features.ts / geometry.ts.
 *
 * The Emscripten module object has a `then` method that never settles, so it must never be
 * awaited or returned from an async function: we resolve a wrapper `{ cv }` instead, from
 * `onRuntimeInitialized`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Cv = any;

let loading: Promise<{ cv: Cv }> | null = null;
let ready: Cv | null = null;

/** Loads and initialises OpenCV once per process (≈1.5 s the first time). */
export function loadOpenCv(): Promise<{ cv: Cv }> {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      try {
        const require = createRequire(import.meta.url);
        const cv = require('@techstark/opencv-js') as Cv;
        const done = (): void => {
          ready = cv;
          resolve({ cv });
        };
        if (typeof cv.Mat === 'function' && typeof cv.ORB === 'function') done();
        else cv.onRuntimeInitialized = done;
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }
  return loading;
}

/** The initialised module, or null before loadOpenCv() has resolved (lets hot paths stay sync). */
export function openCvIfReady(): Cv | null {
  return ready;
}
