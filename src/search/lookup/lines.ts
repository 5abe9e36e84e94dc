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
  /** Least similarity (0–100: share of a template's features whose orientation the photo shows there) a placement needs. */
  threshold: number;
  /** Products kept per photo, best first: the search's suggestions (withEdgeSuggestions). */
  top: number;
}

/**
 * Chosen on the tuning photos (bench/lookup/README.md, session 27): products at 34–58% of a 4:3
 * photo's longest side (45–78% of its shorter side), turned up to ±30°; 15 templates of 40
 * features each per product.
 */
export const DEFAULT_LINE_OPTIONS: LineOptions = {
  side: 320,
  sizes: [108, 144, 187],
  turns: [-30, -15, 0, 15, 30],
  features: 40,
  threshold: 85,
  top: 5,
};

/** A product placed by its edges: `box` in fractions of the photo searched. */
export interface LineMatch {
  key: number;
  /** 0–100. */
  similarity: number;
  box: FractionBox;
}

interface RawLineMatch {
  key: number;
  similarity: number;
  x: number;
  y: number;
  width: number;
  height: number;
  turn: number;
  size: number;
}

interface NativeLineDetector {
  add(key: number, blob: Uint8Array): number;
  match(rgb: Uint8Array, width: number, height: number, threshold: number, top: number, keys?: number[]): Promise<RawLineMatch[]>;
  bytes(): number;
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

/** The catalogue's LINE-2D templates, built from the stored blobs; empty without the addon. */
export class LineIndex {
  private readonly detector: NativeLineDetector | null;
  private readonly keys: number[] = [];

  constructor(products: readonly { key: number; line: Uint8Array }[] = [], o: LineOptions = DEFAULT_LINE_OPTIONS) {
    const line = products.length > 0 ? nativeLine() : null;
    this.detector = line ? new line.LineDetector(o.features) : null;
    if (!this.detector) return;
    for (const p of products) {
      try {
        if (this.detector.add(p.key, p.line) > 0) this.keys.push(p.key);
      } catch {
        // A blob the addon cannot read (another build's): that product is not looked for by its edges.
      }
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
   * The products whose templates the photo shows, best first (at most `o.top`), each at its best
   * placement. Runs on libuv's thread pool, beside the JS thread's work.
   */
  async match(photo: RgbImage, o: LineOptions, accept?: (key: number) => boolean): Promise<LineMatch[]> {
    if (!this.detector || this.keys.length === 0) return [];
    const s = Math.min(1, o.side / Math.max(photo.width, photo.height));
    const frame = s < 1 ? resample(photo, Math.max(16, Math.round(photo.width * s)), Math.max(16, Math.round(photo.height * s))) : photo;
    if (frame.width < 16 || frame.height < 16) return [];
    const keys = accept ? this.keys.filter(accept) : undefined;
    if (keys && keys.length === 0) return [];
    const raw = await this.detector.match(new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.width * frame.height * 3), frame.width, frame.height, o.threshold, o.top, keys);
    return raw.map((m) => {
      const x = Math.max(0, m.x), y = Math.max(0, m.y);
      const box = {
        x: x / frame.width,
        y: y / frame.height,
        width: (Math.min(frame.width, m.x + m.width) - x) / frame.width,
        height: (Math.min(frame.height, m.y + m.height) - y) / frame.height,
      };
      return { key: m.key, similarity: m.similarity, box };
    });
  }
}
