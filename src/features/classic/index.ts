/** Classic (hand-crafted, zero-download) feature extractors. */
export {
  ClassicExtractor,
  DEFAULT_EXTRACTOR_OPTIONS,
  createDefaultExtractor,
  type ClassicExtractorOptions,
} from './default.extractor.js';
export { RawPixelsExtractor } from './raw-pixels.extractor.js';
export {
  COLOR_BINS,
  ColorHistogramExtractor,
  colorHistogram,
  colorHistogramDimensions,
  type ColorHistogramOptions,
} from './color-histogram.extractor.js';
export { LBP_BINS, LbpExtractor, lbpDimensions, lbpHistogram, type LbpOptions } from './lbp.extractor.js';
export { HogExtractor, hogDescriptor, hogDimensions, type HogOptions } from './hog.extractor.js';
