import { COLOUR_SIDE, concatFeatures, encodeLocalFeatures, extractLocalFeatures, keyedFeatures, type LocalFeatures } from '../../features/local/local-features.js';
import { nativeOrb } from '../../features/local/opencv.js';
import { RequestWorker } from '../../workers/request-worker.js';
import { backdropGreys, findBackdrop, onBackdrop } from '../../imaging/backdrop.js';
import { centredRectangle, productRectangle, rectangleLayout } from '../../imaging/flat-regions.js';
import { resample } from '../../imaging/index.js';
import { opponentChannel } from '../../imaging/opponent.js';
import type { RgbImage } from '../../imaging/types.js';
import { LAYOUT_GRID } from './layouts.js';
import type { LookupOptions } from './lookup.service.js';
import { lineTemplates } from './lines.js';
import { productOutline } from './outlines.js';
import { productShape } from './shapes.js';

/** How a catalog image is analysed: the LookupOptions of these names. */
export type CatalogAnalysis = Pick<LookupOptions, 'catalogDetection' | 'catalogKeypoints' | 'sharpKeypoints' | 'backdropKeypoints' | 'backdropLevels' | 'colourKeypoints' | 'lines'>;

/** @internal A catalog image to analyse in catalog-analysis.worker.ts (its pixels copied), with the options and the ORB to use. */
export interface CatalogAnalysisRequest {
  id: number;
  data: Uint8Array;
  width: number;
  height: number;
  options: CatalogAnalysis;
  nativeOrb: boolean;
}

/**
 * Catalog images analysed two at a time on two cores: while one is analysed in a worker thread,
 * another caller's is analysed here (an ingest prepares two products at a time). The encoded
 * features are the same either way; if the worker fails, everything is done here.
 */
export class CatalogAnalysisWorker {
  private readonly worker = new RequestWorker<Omit<CatalogAnalysisRequest, 'id'>, { encoded: Uint8Array }>(import.meta.url, 'catalog-analysis.worker');
  private busy = false;
  /** Images the worker thread analysed (the others were analysed here). */
  analysedInWorker = 0;

  async analyse(image: RgbImage, o: CatalogAnalysis): Promise<Buffer> {
    if (!this.busy) {
      this.busy = true;
      try {
        const options: CatalogAnalysis = {
          catalogDetection: o.catalogDetection, catalogKeypoints: o.catalogKeypoints, sharpKeypoints: o.sharpKeypoints,
          backdropKeypoints: o.backdropKeypoints, backdropLevels: o.backdropLevels, colourKeypoints: o.colourKeypoints, lines: o.lines,
        };
        const { encoded } = await this.worker.request({ data: new Uint8Array(image.data), width: image.width, height: image.height, options, nativeOrb: nativeOrb() !== null });
        this.analysedInWorker++;
        return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
      } catch {
        // The worker is unavailable (or the image failed there): analysed here, where an error is the image's own.
      } finally {
        this.busy = false;
      }
    }
    return encodeLocalFeatures(await analyseCatalogImage(image, o));
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}

/** Least share of an image's pixels in its backdrop for the backdrop keypoints: a photo that fills its frame gets none. */
export const MIN_BACKDROP_SHARE = 0.02;

/**
 * The local features stored for a catalog image: the keypoints of its softened copy, then those of
 * the image as it is, then those of the softened image with its plain backdrop painted each grey of
 * backdropGreys (white catalogues: `backdropLevels`), then those of the softened image's
 * opponent-colour channels (`colourKeypoints`, descriptors keyed), the colour copy, and, when the product on
 * the backdrop fills a rectangle (a flag, a card), that rectangle's colour layout (layouts.ts), and
 * the product's shape (shapes.ts), the strokes of a coloured line drawing (outlines.ts), and the
 * product's LINE-2D templates (lines.ts, when the native addon is built).
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
  if (o.colourKeypoints.catalog > 0) {
    for (const ch of o.colourKeypoints.channels) features = concatFeatures(features, keyedFeatures(await extractLocalFeatures(opponentChannel(image, ch), { ...o.catalogDetection, maxKeypoints: o.colourKeypoints.catalog }), ch));
  }
  let rect = plain ? productRectangle(image, backdrop.mask) : null;
  let colours = rect ? rectangleLayout(image, rect, LAYOUT_GRID) : null;
  if (rect && oneColour(colours!)) {
    // One colour explains nothing in a photo; the rest of the product may be the backdrop's colour.
    const centred = centredRectangle(backdrop.mask, image.width, image.height, rect);
    if (centred) [rect, colours] = [centred, rectangleLayout(image, centred, LAYOUT_GRID)];
  }
  const layout = rect ? { aspect: rect.width / rect.height, colours: colours!, rect } : undefined;
  const shape = plain ? await productShape(image) : null;
  const outline = plain ? productOutline(image) : null;
  const line = o.lines ? lineTemplates(image, plain ? backdrop.mask : null, o.lines) : null;
  return { ...features, colours: colourCopy(image), ...(layout ? { layout } : {}), ...(shape ? { shape } : {}), ...(outline ? { outline } : {}), ...(line ? { line } : {}) };
}

/**
 * Whether a layout is of one colour: ONE_COLOUR_SHARE of its cells within ONE_COLOUR_STEP (sum of
 * the three channels' differences) of their median colour: a robust test, where the cells'
 * standard deviation is not (Monaco's red half: 8 in the benchmark's image, 19 in its re-encoded
 * display copy, from JPEG ringing at a few edge cells; both pass this test).
 */
function oneColour(cells: Uint8Array): boolean {
  const n = cells.length / 3;
  const median = [0, 1, 2].map((c) => Array.from({ length: n }, (_, i) => cells[3 * i + c]!).sort((a, b) => a - b)[n >> 1]!);
  let alike = 0;
  for (let i = 0; i < n; i++) if (Math.abs(cells[3 * i]! - median[0]!) + Math.abs(cells[3 * i + 1]! - median[1]!) + Math.abs(cells[3 * i + 2]! - median[2]!) <= ONE_COLOUR_STEP) alike++;
  return alike >= ONE_COLOUR_SHARE * n;
}
const ONE_COLOUR_SHARE = 0.9;
const ONE_COLOUR_STEP = 60;

/** The colour copy stored with a catalog image's features (longest side COLOUR_SIDE). */
function colourCopy(image: RgbImage): RgbImage {
  const s = COLOUR_SIDE / Math.max(image.width, image.height);
  return s < 1 ? resample(image, Math.max(1, Math.round(image.width * s)), Math.max(1, Math.round(image.height * s))) : image;
}
