import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/index.js';
import { CHANCE_EVIDENCE } from '../../src/search/lookup/calibration.js';
import { DEFAULT_OUTLINE_OPTIONS } from '../../src/search/lookup/outlines.js';
import { arrowHeadOutline, outlinedArrow, ring } from '../factories/drawings.js';
import type { Rgb } from '../factories/flags.js';
import { freshShoplens, ingestFlatCatalogue, productOfKey, starvedLookup, tablePhoto } from './shoplens.factory.js';

const RED: Rgb = [225, 40, 30];
const DRAWINGS: Record<string, (u: number, v: number) => Rgb | null> = {
  arrow: outlinedArrow(RED),
  blue: outlinedArrow([40, 70, 210]),
  ring: ring(RED),
  head: arrowHeadOutline(RED),
};

/**
 * Coloured line drawings, end to end: their catalogue images keep their strokes, and a photo of a
 * red outlined arrow on a cluttered table finds it by them, ahead of its blue copy, a red ring and
 * a drawing that is part of it. Textured cards fill the catalogue so the vocabulary trains.
 */
describe('lookup of coloured line drawings by their strokes (medium)', () => {
  let ctx: Awaited<ReturnType<typeof freshShoplens>>;
  let photo: Buffer;

  beforeAll(async () => {
    ctx = await freshShoplens({ localFeatures: true });
    const report = await ingestFlatCatalogue(ctx, DRAWINGS, 'drawings', { width: 340, height: 340 });
    expect(report.created).toBe(34);
    // Turned, smaller, other light, blurred (σ 1) and squeezed (JPEG 50).
    photo = await tablePhoto(DRAWINGS.arrow!, { cx: 300, cy: 250, width: 300, height: 300, turn: -20 }, { seed: 7, gain: [0.85, 0.8, 0.95], offset: [10, 0, -10], blur: 1, quality: 50 });
  }, 180_000);

  afterAll(async () => {
    await ctx?.cleanup();
  });

  it('keeps the strokes of the four drawings and of no card', async () => {
    expect(ctx.shoplens.lookup?.ready).toBe(true);
    await ctx.shoplens.lookup!.refresh();
    expect(ctx.shoplens.lookup!.outlineCount).toBe(4);
  });

  it('finds the arrow first as a similar item, with its box', async () => {
    // By its strokes or by the keypoints of its red on the yellow–blue channel, whichever weighs
    // more (colour-keypoints.test.ts); the strokes alone: the next test.
    const result = await ctx.shoplens.search.searchByImage(photo, { k: 5 });
    const first = result.hits[0]!;
    expect(first.product.id).toBe('arrow');
    expect(first.match?.exact).toBe(false);
    const box = first.match!.box!;
    expect(box.x + box.width / 2).toBeCloseTo(300 / 640, 1);
    expect(box.y + box.height / 2).toBeCloseTo(250 / 480, 1);
  });

  it('finds it by its strokes when the keypoints find nothing, and not without them', async () => {
    const s = ctx.shoplens;
    const pixels = await decodeImage(photo, { maxPixels: s.config.maxImagePixels, maxBytes: s.config.maxImageBytes }, { maxSide: 640 });
    const withOutlines = await starvedLookup(s);
    const found = await withOutlines.lookup(pixels, undefined);
    expect(await productOfKey(s, found[0]?.key)).toBe('arrow');
    expect(found[0]!.outline).toBeGreaterThan(DEFAULT_OUTLINE_OPTIONS.minFit);
    expect(found[0]!.evidence).toBeGreaterThan(CHANCE_EVIDENCE);
    expect(found[0]!.evidence).toBeLessThan(withOutlines.exactInliers);
    const without = await starvedLookup(s, { outlines: { ...DEFAULT_OUTLINE_OPTIONS, minFit: 2 } });
    const rest = await without.lookup(pixels, undefined);
    expect(rest.filter((m) => m.outline !== undefined)).toEqual([]);
    expect(await productOfKey(s, rest[0]?.key)).not.toBe('arrow');
    await withOutlines.close();
    await without.close();
  });
});
