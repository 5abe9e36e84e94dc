import { l2normalize } from '../../domain/vector.js';
import { createDefaultExtractor } from '../../features/classic/default.extractor.js';
import { RawPixelsExtractor } from '../../features/classic/raw-pixels.extractor.js';
import type { FeatureExtractor } from '../../features/feature-extractor.js';
import { grayToRgb } from '../../imaging/index.js';
import type { RgbImage } from '../../imaging/index.js';

/** Turns one grey dataset image into an L2-normalised vector. */
export interface GrayVectoriser {
  readonly dimensions: number;
  vectorise(pixels: Uint8Array, rows: number, cols: number): Float32Array;
}

/** The reference row: the pixel values themselves as floats (no resampling), L2-normalised. */
export const REFERENCE_EXTRACTOR = 'raw-pixels';

type SyncExtractor = FeatureExtractor & { extractSync?: (image: RgbImage) => Float32Array };

/**
 * Every extractor the bench knows, by row name. The product extractors see the grey image as RGB
 * with the channel replicated, exactly as an uploaded grey photo reaches them. When a new
 * extractor ships, add it here and every bench reports it.
 */
const FACTORIES: Record<string, () => FeatureExtractor | null> = {
  [REFERENCE_EXTRACTOR]: () => null,
  default: () => createDefaultExtractor(),
  'raw-pixels-32': () => new RawPixelsExtractor(32),
};

export function benchExtractorNames(): string[] {
  return Object.keys(FACTORIES);
}

export function isBenchExtractor(name: string): boolean {
  return Object.hasOwn(FACTORIES, name);
}

/** Vectoriser for a row name, for images of rows×cols; undefined for an unknown name. */
export function createVectoriser(name: string, rows: number, cols: number): GrayVectoriser | undefined {
  if (!isBenchExtractor(name)) return undefined;
  const extractor = FACTORIES[name]!() as SyncExtractor | null;
  if (extractor === null) {
    return {
      dimensions: rows * cols,
      vectorise: (pixels) => l2normalize(Float32Array.from(pixels)),
    };
  }
  const sync = extractor.extractSync?.bind(extractor);
  if (!sync) throw new Error(`bench extractor ${name} has no extractSync`);
  return {
    dimensions: extractor.identity.dimensions,
    vectorise: (pixels, r, c) => {
      const v = sync(grayToRgb({ data: pixels, width: c, height: r, channels: 1 }));
      return l2normalize(v);
    },
  };
}

/** Vectors for `count` consecutive images of rows×cols in `pixels`, row-major, count × dimensions. */
export function vectoriseAll(v: GrayVectoriser, pixels: Uint8Array, count: number, rows: number, cols: number): Float32Array {
  const size = rows * cols;
  const out = new Float32Array(count * v.dimensions);
  for (let i = 0; i < count; i++) out.set(v.vectorise(pixels.subarray(i * size, (i + 1) * size), rows, cols), i * v.dimensions);
  return out;
}
