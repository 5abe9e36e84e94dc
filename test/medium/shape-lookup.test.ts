import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeImage } from '../../src/imaging/index.js';
import { DEFAULT_LAYOUT_OPTIONS } from '../../src/search/lookup/layouts.js';
import { CHANCE_EVIDENCE } from '../../src/search/lookup/calibration.js';
import { DEFAULT_SHAPE_OPTIONS } from '../../src/search/lookup/shapes.js';
import { arrow, disc, pear } from '../factories/drawings.js';
import type { Rgb } from '../factories/flags.js';
import { freshShoplens, ingestFlatCatalogue, productOfKey, starvedLookup, tablePhoto } from './shoplens.factory.js';

const GREEN: Rgb = [40, 170, 60], YELLOW: Rgb = [235, 215, 50];
const DRAWINGS: Record<string, (u: number, v: number) => Rgb | null> = {
  cd: disc(GREEN, YELLOW),
  swapped: disc(YELLOW, GREEN),
  arrow: arrow([240, 140, 20], [90, 40, 10]),
  pear: pear([120, 190, 40], [210, 235, 130], [90, 40, 10]),
};

/**
 * Flat drawings that are not rectangles, end to end: their catalogue images keep a shape, and a
 * photo of one on a cluttered table finds it by its regions and colours where keypoints give too
 * little to go on. Textured cards fill the catalogue so the vocabulary trains.
 */
describe('lookup of flat drawings by their shape (medium)', () => {
  let ctx: Awaited<ReturnType<typeof freshShoplens>>;
  let photo: Buffer;

  beforeAll(async () => {
    ctx = await freshShoplens({ localFeatures: true });
    const report = await ingestFlatCatalogue(ctx, DRAWINGS, 'drawings', { width: 340, height: 340 });
    expect(report.created).toBe(34);
    // Turned, smaller, other light, blurred (σ 1.5) and squeezed (JPEG 40).
    photo = await tablePhoto(DRAWINGS.cd!, { cx: 300, cy: 250, width: 250, height: 250, turn: 25 }, { seed: 6, gain: [0.8, 0.75, 0.9], offset: [10, 5, -5], blur: 1.5, quality: 40 });
  }, 180_000);

  afterAll(async () => {
    await ctx?.cleanup();
  });

  it('keeps the shapes of the drawings (and of the cards, grey blocks on white)', async () => {
    expect(ctx.shoplens.lookup?.ready).toBe(true);
    await ctx.shoplens.lookup!.refresh();
    expect(ctx.shoplens.lookup!.shapeCount).toBeGreaterThanOrEqual(4);
  });

  it('finds the CD first as a similar item (a shape never claims an exact match), with its box; its recoloured twin below', async () => {
    const result = await ctx.shoplens.search.searchByImage(photo, { k: 5 });
    const first = result.hits[0]!;
    expect(first.product.id).toBe('cd');
    expect(first.match?.exact).toBe(false);
    const box = first.match!.box!;
    expect(box.x + box.width / 2).toBeCloseTo(300 / 640, 1);
    expect(box.y + box.height / 2).toBeCloseTo(250 / 480, 1);
    const twin = result.hits.find((h) => h.product.id === 'swapped');
    expect(twin === undefined || twin.score < first.score).toBe(true);
  });

  it('answers a photo of a pixel or two with what the global features find, not an error', async () => {
    for (const [width, height] of [[1, 1], [2, 40]] as const) {
      const tiny = await sharp({ create: { width, height, channels: 3, background: '#2a9a3c' } }).png().toBuffer();
      const result = await ctx.shoplens.search.searchByImage(tiny, { k: 3 });
      expect(result.hits.every((h) => !h.match?.exact)).toBe(true);
    }
  });

  it('finds it by its shape when the keypoints find nothing, not without shapes, and a filter leaves it out', async () => {
    const s = ctx.shoplens;
    const pixels = await decodeImage(photo, { maxPixels: s.config.maxImagePixels, maxBytes: s.config.maxImageBytes }, { maxSide: 640 });
    const productOf = (key: number | undefined) => productOfKey(s, key);
    const withShapes = await starvedLookup(s);
    const found = await withShapes.lookup(pixels, undefined);
    expect(await productOf(found[0]?.key)).toBe('cd');
    expect(found[0]!.shape).toBeGreaterThan(0.8);
    expect(found[0]!.evidence).toBeGreaterThan(CHANCE_EVIDENCE);
    expect(found[0]!.evidence).toBeLessThan(withShapes.exactInliers);
    const noLayouts = { layouts: { ...DEFAULT_LAYOUT_OPTIONS, minFit: 2 } };
    const without = await starvedLookup(s, { ...noLayouts, shapes: { ...DEFAULT_SHAPE_OPTIONS, minFit: 2 } });
    expect((await without.lookup(pixels, undefined)).filter((m) => m.evidence > CHANCE_EVIDENCE)).toEqual([]);
    // The shopper's box around the CD finds it too, with the box given in the whole photo.
    const boxed = await withShapes.lookup(pixels, { x: 0.2, y: 0.15, width: 0.6, height: 0.75 });
    expect(await productOf(boxed[0]?.key)).toBe('cd');
    expect(boxed[0]!.box!.x + boxed[0]!.box!.width / 2).toBeCloseTo(300 / 640, 1);
    await withShapes.close();
    await without.close();
    const filtered = await s.search.searchByImage(photo, { k: 5, filter: { category: ['cards'] } });
    expect(filtered.hits.some((h) => h.product.id === 'cd')).toBe(false);
  });
});
