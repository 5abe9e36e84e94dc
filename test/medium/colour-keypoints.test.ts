import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/index.js';
import { DEFAULT_LOOKUP_OPTIONS } from '../../src/search/lookup/lookup.service.js';
import { printedLabel } from '../factories/drawings.js';
import type { Rgb } from '../factories/flags.js';
import { freshShoplens, ingestFlatCatalogue, productOfKey, starvedLookup, tablePhoto } from './shoplens.factory.js';

// Luma (BT.601) 178 and 180: one grey to ORB on luma, far apart on the yellow–blue channel.
const YELLOW: Rgb = [200, 190, 60];
const GREY: Rgb = [180, 180, 180];
const DRAWINGS: Record<string, (u: number, v: number) => Rgb | null> = {
  label: printedLabel(YELLOW, GREY, 3),
  other: printedLabel(YELLOW, GREY, 4),
  third: printedLabel(YELLOW, GREY, 5),
};

/**
 * Colour keypoints, end to end: a white label printed in pale yellow has nearly no luma corners
 * (yellow on white is one luma), so a photo of it is found by the keypoints of its yellow–blue
 * channel, and not without them. Textured cards fill the catalogue so the vocabulary trains.
 */
describe('lookup by colour keypoints (medium)', () => {
  let ctx: Awaited<ReturnType<typeof freshShoplens>>;
  let photo: Buffer;

  beforeAll(async () => {
    ctx = await freshShoplens({ localFeatures: true });
    const report = await ingestFlatCatalogue(ctx, DRAWINGS, 'labels', { width: 340, height: 340 });
    expect(report.created).toBe(33);
    // Turned, smaller, other light, blurred (σ 1) and squeezed (JPEG 60).
    photo = await tablePhoto(DRAWINGS.label!, { cx: 330, cy: 230, width: 300, height: 300, turn: 15 }, { seed: 5, gain: [0.9, 0.85, 0.95], offset: [5, 0, -5], blur: 1, quality: 60 });
  }, 180_000);

  afterAll(async () => {
    await ctx?.cleanup();
  });

  it('finds the label first, with its box, by the keypoints of its yellow–blue channel', async () => {
    const s = ctx.shoplens;
    const pixels = await decodeImage(photo, { maxPixels: s.config.maxImagePixels, maxBytes: s.config.maxImageBytes }, { maxSide: 640 });
    const withColour = await starvedLookup(s, { queryKeypoints: DEFAULT_LOOKUP_OPTIONS.queryKeypoints, colourKeypoints: DEFAULT_LOOKUP_OPTIONS.colourKeypoints });
    const found = await withColour.lookup(pixels, undefined);
    expect(await productOfKey(s, found[0]?.key)).toBe('label');
    // Enough for an exact match (measured: 74 inliers).
    expect(found[0]!.inliers).toBeGreaterThanOrEqual(withColour.exactInliers);
    expect(found[0]!.evidence).toBeGreaterThanOrEqual(withColour.exactInliers);
    const box = found[0]!.box!;
    expect(box.x + box.width / 2).toBeCloseTo(330 / 640, 1);
    expect(box.y + box.height / 2).toBeCloseTo(230 / 480, 1);
    await withColour.close();
  });

  it('does not find it on luma keypoints alone', async () => {
    const s = ctx.shoplens;
    const pixels = await decodeImage(photo, { maxPixels: s.config.maxImagePixels, maxBytes: s.config.maxImageBytes }, { maxSide: 640 });
    const lumaOnly = await starvedLookup(s, { queryKeypoints: DEFAULT_LOOKUP_OPTIONS.queryKeypoints, colourKeypoints: { ...DEFAULT_LOOKUP_OPTIONS.colourKeypoints, query: 0 } });
    const found = await lumaOnly.lookup(pixels, undefined);
    const products = await Promise.all(found.map((m) => productOfKey(s, m.key)));
    const label = found[products.indexOf('label')];
    // Measured: 2 inliers, nothing exact.
    expect(label?.inliers ?? 0).toBeLessThan(8);
    expect(found[0]?.evidence ?? 0).toBeLessThan(lumaOnly.exactInliers);
    await lumaOnly.close();
  });
});
