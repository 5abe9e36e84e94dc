import type { RgbImage } from './types.js';

/** Largest difference between two channels of a pixel that still counts as grey (JPEG chroma noise). */
const GREY_TOLERANCE = 12;
/** Share of sampled pixels that may be coloured in a colourless image (a stray coloured speck). */
const COLOURED_SHARE = 0.01;
/** Every SAMPLE_STEP-th pixel is looked at: a photo's colour is never in a few isolated pixels. */
const SAMPLE_STEP = 7;

/**
 * True when an image has no colour: (nearly) every pixel has its three channels within a few
 * levels of each other, as in a black-and-white photo or a grayscale catalogue image.
 */
export function isColourless(image: RgbImage): boolean {
  const d = image.data;
  let sampled = 0;
  let coloured = 0;
  for (let i = 0; i + 2 < d.length; i += 3 * SAMPLE_STEP) {
    sampled++;
    const r = d[i]!, g = d[i + 1]!, b = d[i + 2]!;
    if (Math.abs(r - g) > GREY_TOLERANCE || Math.abs(g - b) > GREY_TOLERANCE || Math.abs(r - b) > GREY_TOLERANCE) coloured++;
  }
  return sampled > 0 && coloured <= COLOURED_SHARE * sampled;
}
