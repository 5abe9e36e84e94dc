import { COLOUR_SIDE, concatFeatures, extractLocalFeatures, type LocalFeatures } from '../../features/local/local-features.js';
import { backdropGreys, findBackdrop, onBackdrop } from '../../imaging/backdrop.js';
import { productRectangle, rectangleLayout } from '../../imaging/flat-regions.js';
import { resample } from '../../imaging/index.js';
import type { RgbImage } from '../../imaging/types.js';
import { LAYOUT_GRID } from './layouts.js';
import type { LookupOptions } from './lookup.service.js';
import { productShape } from './shapes.js';

/** How a catalog image is analysed: the LookupOptions of these names. */
export type CatalogAnalysis = Pick<LookupOptions, 'catalogDetection' | 'catalogKeypoints' | 'sharpKeypoints' | 'backdropKeypoints' | 'backdropLevels'>;

/** Least share of an image's pixels in its backdrop for the backdrop keypoints: a photo that fills its frame gets none. */
export const MIN_BACKDROP_SHARE = 0.02;

/**
 * The local features stored for a catalog image: the keypoints of its softened copy, then those of
 * the image as it is, then those of the softened image with its plain backdrop painted each grey of
 * backdropGreys (white catalogues: `backdropLevels`), the colour copy, and, when the product on
 * the backdrop fills a rectangle (a flag, a card), that rectangle's colour layout (layouts.ts), and
 * the product's shape (shapes.ts).
 */
export async function analyseCatalogImage(image: RgbImage, o: CatalogAnalysis): Promise<LocalFeatures> {
  let features = await extractLocalFeatures(image, { ...o.catalogDetection, maxKeypoints: o.catalogKeypoints });
  if (o.sharpKeypoints > 0) features = concatFeatures(features, await extractLocalFeatures(image, { ...o.catalogDetection, blurSigma: 0, maxKeypoints: o.sharpKeypoints }));
  const backdrop = findBackdrop(image);
  const plain = backdrop.share >= MIN_BACKDROP_SHARE;
  if (plain && o.backdropKeypoints > 0) {
    for (const level of backdropGreys(backdrop.colour, o.backdropLevels)) {
      features = concatFeatures(features, await extractLocalFeatures(onBackdrop(image, backdrop.mask, level), { ...o.catalogDetection, maxKeypoints: o.backdropKeypoints }));
    }
  }
  const rect = plain ? productRectangle(image, backdrop.mask) : null;
  const layout = rect ? { aspect: rect.width / rect.height, colours: rectangleLayout(image, rect, LAYOUT_GRID), rect } : undefined;
  const shape = plain ? await productShape(image) : null;
  return { ...features, colours: colourCopy(image), ...(layout ? { layout } : {}), ...(shape ? { shape } : {}) };
}

/** The colour copy stored with a catalog image's features (longest side COLOUR_SIDE). */
function colourCopy(image: RgbImage): RgbImage {
  const s = COLOUR_SIDE / Math.max(image.width, image.height);
  return s < 1 ? resample(image, Math.max(1, Math.round(image.width * s)), Math.max(1, Math.round(image.height * s))) : image;
}
