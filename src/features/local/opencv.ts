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

/** Keypoints of one ORB run from the native addon (native/opencv-orb), as detectOnce returns them. */
export interface NativeOrb {
  /** `threads` 2: the upper pyramid levels on a second thread (the same keypoints as one run). */
  orbDetect(gray: Uint8Array, width: number, height: number, nfeatures: number, scaleFactor: number, nlevels: number, fastThreshold: number, blurSigma: number, threads?: number): {
    count: number;
    xy: Float32Array;
    response: Float32Array;
    /** ORB orientation per keypoint, degrees in [0, 360) (absent from addons built before it was added). */
    angle?: Float32Array;
    descriptors: Uint8Array;
  };
  /**
   * Product lookup's descriptor matching (src/search/lookup/verify.ts, `matchDescriptors`, has the
   * same loop in JS): catalog, query index pairs.
   */
  matchDescriptors(queryDescriptors: Uint8Array, queryBranches: Uint8Array, catalogDescriptors: Uint8Array, catalogBranches: Uint8Array, maxDistance: number, ratio: number, accept: number, bucketed: boolean,
    queryAngles?: Uint8Array, catalogAngles?: Uint8Array, maxTurn?: number): Int32Array;
  opencvVersion: string;
}

let addon: NativeOrb | null | undefined;
let allowed = true;

/**
 * Whether the native addon may be used (configuration `nativeOrb`, SHOPLENS_NATIVE_ORB; openShoplens
 * applies it). Off: OpenCV's WASM build serves everything, for diagnosing the addon and in tests.
 */
export function useNativeOrb(on: boolean): void {
  allowed = on;
}

/**
 * The native ORB addon built at install time against the system's OpenCV, or null when it was not
 * built (no OpenCV headers then) or turned off (useNativeOrb). It finds the keypoints of the WASM
 * build about 4× faster (640×480 photo: 23 against 95 ms); the WASM build stays the fallback.
 */
export function nativeOrb(): NativeOrb | null {
  if (!allowed) return null;
  if (addon === undefined) {
    try {
      // src/features/local or dist/features/local → <package>/native/opencv-orb.
      addon = createRequire(import.meta.url)('../../../native/opencv-orb/build/Release/opencv_orb.node') as NativeOrb;
    } catch {
      addon = null;
    }
  }
  return addon;
}

/** Which ORB serves local features, for reports and the health endpoint. */
export function orbEngine(): string {
  const orb = nativeOrb();
  return orb ? `native OpenCV ${orb.opencvVersion} (native/opencv-orb)` : 'OpenCV WASM (@techstark/opencv-js)';
}
