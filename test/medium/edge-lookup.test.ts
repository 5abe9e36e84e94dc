import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLocalFeatures, encodeLocalFeatures } from '../../src/features/local/local-features.js';
import { decodeImage, encodeJpeg } from '../../src/imaging/index.js';
import { DEFAULT_LAYOUT_OPTIONS } from '../../src/search/lookup/layouts.js';
import { DEFAULT_LINE_OPTIONS, nativeLine, NO_LINE_TEMPLATES, templatesId } from '../../src/search/lookup/lines.js';
import { DEFAULT_OUTLINE_OPTIONS } from '../../src/search/lookup/outlines.js';
import { DEFAULT_SHAPE_OPTIONS } from '../../src/search/lookup/shapes.js';
import { outlinedArrow, ring } from '../factories/drawings.js';
import { flagImage, type Rgb } from '../factories/flags.js';
import { freshShoplens, ingestFlatCatalogue, productOfKey, starvedLookup, tablePhoto } from './shoplens.factory.js';

const DRAWINGS: Record<string, (u: number, v: number) => Rgb | null> = {
  arrow: outlinedArrow([30, 30, 30], 0.02),
  ring: ring([30, 30, 30], 0.03),
};
const NO_FLAT = { layouts: { ...DEFAULT_LAYOUT_OPTIONS, minFit: 2 }, shapes: { ...DEFAULT_SHAPE_OPTIONS, minFit: 2 }, outlines: { ...DEFAULT_OUTLINE_OPTIONS, minFit: 2 } };

/**
 * Products found by their edges, end to end: the catalogue analysis stores LINE-2D templates of
 * black line drawings, and a photo of the outlined arrow on a cluttered table, where keypoints,
 * colours and shapes are turned off, still has it among the lookup's products, as a suggestion
 * (edges set, no evidence), and the search lists it with `match.edges`.
 */
describe.skipIf(nativeLine() === null)('lookup of products by their edges (medium)', () => {
  let ctx: Awaited<ReturnType<typeof freshShoplens>>;
  let photo: Buffer;

  beforeAll(async () => {
    ctx = await freshShoplens({ localFeatures: true });
    const report = await ingestFlatCatalogue(ctx, DRAWINGS, 'drawings', { width: 340, height: 340 });
    expect(report.created).toBe(32);
    photo = await tablePhoto(DRAWINGS.arrow!, { cx: 300, cy: 250, width: 320, height: 320, turn: 15 }, { seed: 3, gain: [0.85, 0.8, 0.95], offset: [10, 0, -10], blur: 0.5, quality: 50 });
  }, 180_000);

  afterAll(async () => {
    await ctx?.cleanup();
  });

  it('keeps templates of every product on a plain backdrop', async () => {
    await ctx.shoplens.lookup!.refresh();
    // The two drawings and the thirty cards (their white margin is a backdrop too).
    expect(ctx.shoplens.lookup!.lineCount).toBe(32);
  });

  it('makes the templates of images analysed before the addon was built at the next update', async () => {
    const store = ctx.shoplens.store;
    let rows: { sha256: string; features: Buffer }[] = [];
    for await (const batch of store.iterateLocalFeatures()) {
      rows = batch.slice(0, 2);
      break;
    }
    const stripped = rows.map((r) => ({ sha256: r.sha256, features: encodeLocalFeatures({ ...decodeLocalFeatures(r.features), line: undefined }) }));
    await store.putLocalFeatures(stripped);
    const r = await ctx.shoplens.lookup!.update();
    expect(r.reanalysed).toBe(2);
    // Their new templates (a re-encoded image's are not byte for byte the old ones) are calibrated.
    expect(r.calibrated).toBe(2);
    expect(r.trained).toBe(false);
    const again = new Map<string, Buffer>();
    for await (const batch of store.iterateLocalFeatures()) for (const row of batch) again.set(row.sha256, row.features);
    // Made again from the display copy (re-encoded: not byte for byte the same), as many templates as before.
    const count = (line: Uint8Array | undefined): number => (line ? line[0]! | (line[1]! << 8) : -1);
    for (const row of rows) expect(count(decodeLocalFeatures(again.get(row.sha256)!).line)).toBe(count(decodeLocalFeatures(row.features).line));
    // Nothing left to look for: the next update re-analyses nothing.
    expect((await ctx.shoplens.lookup!.update()).reanalysed).toBe(0);
  });

  it("calibrates each product's templates once, and all of them again when the stored calibrations are lost or were made otherwise", async () => {
    const s = ctx.shoplens;
    const file = path.join(s.config.dataDir, 'lookup-edge-calibration.json');
    const ids = new Set<string>();
    for await (const batch of s.store.iterateLocalFeatures()) {
      for (const row of batch) {
        const line = decodeLocalFeatures(row.features).line;
        if (line && line.length > NO_LINE_TEMPLATES.length) ids.add(templatesId(line));
      }
    }
    expect(ids.size).toBe(32);
    const stored = JSON.parse(await readFile(file, 'utf8')) as { products: Record<string, [number, number]> };
    expect(new Set(Object.keys(stored.products))).toEqual(ids);
    for (const [mean, sd] of Object.values(stored.products)) {
      expect(mean).toBeGreaterThanOrEqual(DEFAULT_LINE_OPTIONS.threshold);
      expect(sd).toBeGreaterThanOrEqual(0);
    }
    expect((await s.lookup!.update()).calibrated).toBe(0);
    // Lost (unreadable): a service opening the data directory calibrates every product again.
    await writeFile(file, '{ not json');
    const fresh = await starvedLookup(s);
    expect((await fresh.update()).calibrated).toBe(32);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(stored);
    await fresh.close();
    // Made with other options (fewer collages): made again, with them.
    const other = await starvedLookup(s, { lines: { ...DEFAULT_LINE_OPTIONS, calibration: { ...DEFAULT_LINE_OPTIONS.calibration, collages: 50 } } });
    expect((await other.update()).calibrated).toBe(32);
    expect(JSON.parse(await readFile(file, 'utf8'))).not.toEqual(stored);
    await other.close();
    const back = await starvedLookup(s);
    expect((await back.update()).calibrated).toBe(32);
    await back.close();
  });

  it('suggests the arrow by its edges when nothing else finds it, and nothing with the edges turned off', async () => {
    const s = ctx.shoplens;
    const pixels = await decodeImage(photo, { maxPixels: s.config.maxImagePixels, maxBytes: s.config.maxImageBytes }, { maxSide: 640 });
    const withLines = await starvedLookup(s, NO_FLAT);
    const found = await withLines.lookup(pixels, undefined);
    const suggested = found.filter((m) => m.edges !== undefined).sort((a, b) => b.edgeScore! - a.edgeScore!);
    expect(await productOfKey(s, suggested[0]?.key)).toBe('arrow');
    expect(suggested[0]!.edges).toBeGreaterThanOrEqual(DEFAULT_LINE_OPTIONS.threshold / 100);
    // Ranked by its rise above its templates' chance, calibrated at the ingest.
    const chance = JSON.parse(await readFile(path.join(s.config.dataDir, 'lookup-edge-calibration.json'), 'utf8')) as { products: Record<string, [number, number]> };
    const arrowImage = (await s.store.getLocalFeatures([suggested[0]!.key])).get(suggested[0]!.key)!;
    const [mean, sd] = chance.products[templatesId(decodeLocalFeatures(arrowImage.features).line!)]!;
    expect(suggested[0]!.edgeScore).toBeCloseTo((suggested[0]!.edges! * 100 - mean) / Math.max(1, sd), 1);
    expect(suggested[0]!.edgeScore).toBeGreaterThanOrEqual(DEFAULT_LINE_OPTIONS.minScore);
    const box = suggested[0]!.box!;
    expect(box.x + box.width / 2).toBeCloseTo(300 / 640, 1);
    expect(box.y + box.height / 2).toBeCloseTo(250 / 480, 1);
    const without = await starvedLookup(s, { ...NO_FLAT, lines: null });
    const rest = await without.lookup(pixels, undefined);
    expect(rest.filter((m) => m.edges !== undefined)).toEqual([]);
    // Suggestions add no evidence: every product's evidence is what it is without them.
    const evidence = (ms: typeof found): Map<number, number> => new Map(ms.filter((m) => m.evidence > 0).map((m) => [m.key, m.evidence]));
    expect(evidence(found)).toEqual(evidence(rest));
    await withLines.close();
    await without.close();
  });

  it('suggests nothing in a product shot (a clean backdrop), which the global features rank', async () => {
    const s = ctx.shoplens;
    const shot = await decodeImage(await encodeJpeg(flagImage(640, 480, DRAWINGS.arrow!, { cx: 300, cy: 250, width: 320, height: 320, turn: 15 }, 'white'), { quality: 90 }));
    const withLines = await starvedLookup(s, NO_FLAT);
    expect((await withLines.lookup(shot, undefined)).filter((m) => m.edges !== undefined)).toEqual([]);
    await withLines.close();
  });

  it('the search lists the suggested arrow with its edge similarity, never as exact', async () => {
    const result = await ctx.shoplens.search.searchByImage(photo, { k: 10 });
    const arrow = result.hits.find((h) => h.product.id === 'arrow');
    expect(arrow?.match?.edges).toBeGreaterThanOrEqual(DEFAULT_LINE_OPTIONS.threshold / 100);
    expect(arrow?.match?.exact).toBe(false);
    expect(result.hits.findIndex((h) => h.product.id === 'arrow')).toBeLessThan(10);
  });
});
