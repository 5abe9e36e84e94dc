import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { resample } from '../../imaging/index.js';
import type { FractionBox } from '../../imaging/subject.js';
import type { RgbImage } from '../../imaging/types.js';

/**
 * Products found by their edges: LINE-2D (Hinterstoisser et al., "Gradient Response Maps for
 * Real-Time Detection of Texture-Less Objects", 2012; OpenCV contrib's `linemod`, through the native
 * addon native/opencv-line). A catalogue product on a plain backdrop gives templates of its strongest
 * gradient orientations at a few sizes and turns; a photo is searched for every template at once.
 * What keypoints miss is what this sees: line drawings, plain outlines, see-through drawings whose
 * inside shows the table, softly shaded drawings with few corners — their edges stay where they are
 * whatever shows through them or lights them.
 */

/** How products are looked for by their edges (LookupOptions.lines). */
export interface LineOptions {
  /** Longest side (px) of the frame photos are searched in; the template sizes are pixels of it. */
  side: number;
  /** The product's longest side (px at `side`) of each template size, before turning. */
  sizes: number[];
  /** Turns (degrees) of each template. */
  turns: number[];
  /** Gradient features per template (8–63). */
  features: number;
  /**
   * Least similarity (0–100: share of a template's features whose orientation the photo shows there)
   * a placement needs; a product placed nowhere above it scores this (calibration).
   */
  threshold: number;
  /**
   * Least score a placement needs: its similarity less what the product's templates score where the
   * product is not, in standard deviations of that (calibrate).
   */
  minScore: number;
  /** Products kept per photo, best first by score: the search's suggestions (withEdgeSuggestions). */
  top: number;
  /**
   * What each product's templates score where the product is not: collages of `perCollage` catalogue
   * products (of `sources` sampled) on tinted, noisy tables (LineIndex.calibrate).
   */
  calibration: { collages: number; perCollage: number; sources: number; seed: number };
}

/**
 * Chosen on the tuning photos (bench/lookup/README.md, sessions 27–28): products at 34–58% of a 4:3
 * photo's longest side (45–78% of its shorter side), turned up to ±30°; 15 templates of 40
 * features each per product (32 lost 2 of 2,100 photos' first ten). Threshold 80: the calibrated
 * ranking is as good as at 70–75 in the first ten and the matcher ~25% faster (fewer placements
 * to refine); at 85 it loses 40 of 286. 400 collages: 200 gave 279 of 286.
 */
export const DEFAULT_LINE_OPTIONS: LineOptions = {
  side: 320,
  sizes: [108, 144, 187],
  turns: [-30, -15, 0, 15, 30],
  features: 40,
  threshold: 80,
  minScore: 2,
  top: 5,
  calibration: { collages: 400, perCollage: 8, sources: 200, seed: 1 },
};

/**
 * What a product's templates score in photos without it (mean and standard deviation of its best
 * similarity over the calibration collages). A template of a few straight or round edges fits
 * clutter anywhere; one of a particular outline does not: a placement is ranked by how far it rises
 * above its own templates' chance (session 28, C++ prototype: over the 517 tuning photos without an
 * exact match, the right product first among the edges' placements in 100 → 163, in their first
 * ten 223 → 286; with the chance measured on the other tuning photos instead of collages, 182 and
 * 300).
 */
export interface LineCalibration {
  mean: number;
  sd: number;
}

/** A product placed by its edges: `box` in fractions of the photo searched. */
export interface LineMatch {
  key: number;
  /** 0–100. */
  similarity: number;
  /** (similarity − the product's calibration mean) / its standard deviation (at least 1). */
  score: number;
  box: FractionBox;
}

interface RawLineMatch {
  key: number;
  similarity: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

interface NativeLineDetector {
  add(key: number, blob: Uint8Array): number;
  match(rgb: Uint8Array, width: number, height: number, threshold: number, keys?: number[]): Promise<RawLineMatch[]>;
  bytes(): number;
  calibrate(products: { rgb: Uint8Array; width: number; height: number; mask: Uint8Array }[], first: number, count: number, perCollage: number, seed: number, threshold: number, side: number): Promise<{ key: number; sum: number; sumSq: number }[]>;
}

interface NativeLine {
  lineTemplates(rgb: Uint8Array, width: number, height: number, mask: Uint8Array, sizes: number[], turns: number[], features: number): Uint8Array;
  LineDetector: new (features: number) => NativeLineDetector;
  opencvVersion: string;
}

let addon: NativeLine | null | undefined;

/**
 * The native LINE-2D addon built at install time against the system's OpenCV with its contrib
 * modules (Debian: libopencv-contrib-dev), or null when it was not built; lookup then does without
 * edge templates (nothing else changes). SHOPLENS_NATIVE_LINE=off turns it off.
 */
export function nativeLine(): NativeLine | null {
  if (process.env.SHOPLENS_NATIVE_LINE === 'off') return null;
  if (addon === undefined) {
    try {
      // src/search/lookup or dist/search/lookup → <package>/native/opencv-line.
      addon = createRequire(import.meta.url)('../../../native/opencv-line/build/Release/opencv_line.node') as NativeLine;
    } catch {
      addon = null;
    }
  }
  return addon;
}

/** What finds products by their edges, for the health endpoint and `serve`'s start line. */
export function lineEngine(): string {
  const line = nativeLine();
  return line ? `native OpenCV ${line.opencvVersion} LINE-2D (native/opencv-line)` : 'off (native/opencv-line not built: apt-get install libopencv-contrib-dev, then npm install)';
}

/** Templates of an image that has none (no plain backdrop, or a product too small or without edges): looked for, none found. */
export const NO_LINE_TEMPLATES = Uint8Array.from([0, 0]);

/**
 * The LINE-2D templates of a catalogue product (LocalFeatures.line): `backdrop` is the image's
 * backdrop mask (1 = backdrop, imaging/backdrop.ts), or null when it has no plain backdrop; the
 * product is everything else. NO_LINE_TEMPLATES when none could be made; null without the addon
 * (not looked for: LookupService.update looks again once it is built).
 */
export function lineTemplates(image: RgbImage, backdrop: Uint8Array | null, o: LineOptions = DEFAULT_LINE_OPTIONS): Uint8Array | null {
  const line = nativeLine();
  if (!line) return null;
  if (!backdrop) return NO_LINE_TEMPLATES;
  const product = new Uint8Array(backdrop.length);
  for (let i = 0; i < backdrop.length; i++) product[i] = backdrop[i] ? 0 : 255;
  // The addon's blob of no templates is NO_LINE_TEMPLATES' two bytes.
  return line.lineTemplates(new Uint8Array(image.data.buffer, image.data.byteOffset, image.width * image.height * 3), image.width, image.height, product, o.sizes, o.turns, o.features);
}

/** Identifies a product's templates (LocalFeatures.line) for its stored calibration. */
export function templatesId(blob: Uint8Array): string {
  return createHash('sha1').update(blob).digest('base64url');
}

/** Identifies the calibration options: stored calibrations made with others are made again. */
export function calibrationIdentity(o: LineOptions): string {
  return JSON.stringify({ side: o.side, sizes: o.sizes, turns: o.turns, features: o.features, threshold: o.threshold, calibration: o.calibration });
}

/** A catalogue product for the calibration collages: its image and product mask (255 = product). */
export interface CollageSource {
  image: RgbImage;
  mask: Uint8Array;
}

/** Collages per call to the addon: the calibration runs two calls at a time and reports between them. */
const COLLAGES_PER_CALL = 25;

/** A catalogue product's templates (LocalFeatures.line) and, once made, their calibration. */
export interface LineProduct {
  key: number;
  line: Uint8Array;
  calibration?: LineCalibration | undefined;
}

/** The catalogue's LINE-2D templates, built from the stored blobs; empty without the addon. */
export class LineIndex {
  private readonly detector: NativeLineDetector | null;
  private readonly keys: number[] = [];
  private readonly calibrations = new Map<number, LineCalibration>();
  /** For products without a calibration: the median of the others'. */
  private fallback: LineCalibration | null = null;

  constructor(products: readonly LineProduct[] = [], o: LineOptions = DEFAULT_LINE_OPTIONS) {
    const line = products.length > 0 ? nativeLine() : null;
    this.detector = line ? new line.LineDetector(o.features) : null;
    if (!this.detector) return;
    for (const p of products) {
      try {
        if (this.detector.add(p.key, p.line) > 0) {
          this.keys.push(p.key);
          if (p.calibration) this.calibrations.set(p.key, p.calibration);
        }
      } catch {
        // A blob the addon cannot read (another build's): that product is not looked for by its edges.
      }
    }
    if (this.calibrations.size > 0) {
      const median = (v: number[]): number => v.sort((a, b) => a - b)[v.length >> 1]!;
      const known = [...this.calibrations.values()];
      this.fallback = { mean: median(known.map((c) => c.mean)), sd: median(known.map((c) => c.sd)) };
    }
  }

  /** Products with templates. */
  get size(): number {
    return this.keys.length;
  }

  get memoryBytes(): number {
    return this.detector?.bytes() ?? 0;
  }

  /**
   * The products whose templates the photo shows, best first by score (at most `o.top`, each at least
   * `o.minScore`), each at its best placement. Runs on libuv's thread pool, beside the JS thread's work.
   */
  async match(photo: RgbImage, o: LineOptions, accept?: (key: number) => boolean): Promise<LineMatch[]> {
    if (!this.detector || this.keys.length === 0) return [];
    const s = Math.min(1, o.side / Math.max(photo.width, photo.height));
    const frame = s < 1 ? resample(photo, Math.max(16, Math.round(photo.width * s)), Math.max(16, Math.round(photo.height * s))) : photo;
    if (frame.width < 16 || frame.height < 16) return [];
    const keys = accept ? this.keys.filter(accept) : undefined;
    if (keys && keys.length === 0) return [];
    // Every product placed above the threshold (in no order): the order is the scores'.
    const raw = await this.detector.match(new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.width * frame.height * 3), frame.width, frame.height, o.threshold, keys);
    const chance: LineCalibration = this.fallback ?? { mean: o.threshold, sd: 1 };
    const scored = raw.map((m) => {
      const c = this.calibrations.get(m.key) ?? chance;
      return { m, score: (m.similarity - c.mean) / Math.max(1, c.sd) };
    });
    scored.sort((a, b) => b.score - a.score || a.m.key - b.m.key);
    return scored.filter((x) => x.score >= o.minScore).slice(0, o.top).map(({ m, score }) => {
      const x = Math.max(0, m.x), y = Math.max(0, m.y);
      const box = {
        x: x / frame.width,
        y: y / frame.height,
        width: (Math.min(frame.width, m.x + m.width) - x) / frame.width,
        height: (Math.min(frame.height, m.y + m.height) - y) / frame.height,
      };
      return { key: m.key, similarity: m.similarity, score, box };
    });
  }

  /**
   * What each of these products' templates scores where the product is not (LineCalibration): the
   * addon places `o.calibration.collages` collages of the sources' products on tinted, noisy tables
   * the size of the frame photos are searched in (`o.side`), two calls at a time on libuv's
   * threads, and searches each for every template. The sources are other catalogue products: a
   * product among them is in a few collages, which its standard deviation absorbs.
   */
  async calibrate(sources: readonly CollageSource[], o: LineOptions, onProgress?: (done: number, total: number) => void): Promise<Map<number, LineCalibration>> {
    const out = new Map<number, LineCalibration>();
    const { collages, perCollage, seed } = o.calibration;
    if (!this.detector || this.keys.length === 0 || sources.length === 0 || collages <= 0) return out;
    const products = sources.map(({ image, mask }) => ({ rgb: new Uint8Array(image.data.buffer, image.data.byteOffset, image.width * image.height * 3), width: image.width, height: image.height, mask }));
    const sums = new Map<number, { sum: number; sumSq: number }>();
    const calls = Array.from({ length: Math.ceil(collages / COLLAGES_PER_CALL) }, (_, i) => i * COLLAGES_PER_CALL);
    let done = 0;
    onProgress?.(0, collages);
    const next = async (): Promise<void> => {
      for (let first = calls.shift(); first !== undefined; first = calls.shift()) {
        const count = Math.min(COLLAGES_PER_CALL, collages - first);
        for (const r of await this.detector!.calibrate(products, first, count, perCollage, seed, o.threshold, o.side)) {
          const t = sums.get(r.key) ?? { sum: 0, sumSq: 0 };
          t.sum += r.sum;
          t.sumSq += r.sumSq;
          sums.set(r.key, t);
        }
        done += count;
        onProgress?.(done, collages);
      }
    };
    await Promise.all([next(), next()]);
    for (const [key, { sum, sumSq }] of sums) {
      const mean = sum / collages;
      out.set(key, { mean, sd: Math.sqrt(Math.max(0, sumSq / collages - mean * mean)) });
    }
    return out;
  }
}
