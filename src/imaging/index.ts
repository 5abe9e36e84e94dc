/** Public API of the imaging module: the only place in shoplens that touches sharp. */
export type { GrayImage, ImageLimits, RgbImage } from './types.js';
export { DEFAULT_IMAGE_LIMITS } from './types.js';
export {
  DEFAULT_DECODE_MAX_SIDE,
  IMAGE_MIME_TYPES,
  SUPPORTED_IMAGE_FORMATS,
  decodeImage,
  readImageHeader,
  sniffImageFormat,
  type DecodeOptions,
  type ImageFormat,
  type ImageHeader,
} from './decode.js';
export { DISPLAY_JPEG_QUALITY, DISPLAY_MAX_SIDE, encodeDisplayJpeg, makeDisplayImage, type DisplayImage } from './thumbnail.js';
export { encodeJpeg, encodePng, type EncodeJpegOptions } from './encode.js';
export {
  enhanceContrast,
  grayToRgb,
  medianDenoise,
  normalizeSize,
  resize,
  toGray,
  type AnyImage,
  type ContrastOptions,
  type ResizeFit,
} from './preprocess.js';
export { fitSquare, resample } from './resample.js';
export { turnOnCanvas, turnedSize, unturn, type Unturn } from './turn.js';
