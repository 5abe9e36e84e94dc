import { afterAll, describe, expect, it } from 'vitest';
import { arrow, outlinedArrow, pear } from '../../../test/factories/drawings.js';
import { flagImage, relit, stripes, type Rgb } from '../../../test/factories/flags.js';
import { findBackdrop } from '../../imaging/backdrop.js';
import { productRectangle, rectangleLayout } from '../../imaging/flat-regions.js';
import { decodeImage, encodeJpeg } from '../../imaging/index.js';
import type { RgbImage } from '../../imaging/types.js';
import { FlatIndex, FlatWorker, type FlatOptions, type FlatProduct } from './flat.js';
import { DEFAULT_LAYOUT_OPTIONS, LAYOUT_GRID } from './layouts.js';
import { DEFAULT_OUTLINE_OPTIONS, productOutline } from './outlines.js';
import { DEFAULT_SHAPE_OPTIONS, productShape } from './shapes.js';

const RED: Rgb = [225, 40, 30];
const DRAWINGS: Record<string, (u: number, v: number) => Rgb | null> = {
  mali: stripes([[20, 160, 60], [250, 210, 20], [210, 30, 40]], true),
  guinea: stripes([[210, 30, 40], [250, 210, 20], [20, 160, 60]], true),
  arrow: arrow([240, 140, 20], [90, 40, 10]),
  pear: pear([120, 190, 40], [210, 235, 130], [90, 40, 10]),
  outlined: outlinedArrow(RED),
};
const OPTIONS: FlatOptions = { layouts: DEFAULT_LAYOUT_OPTIONS, shapes: DEFAULT_SHAPE_OPTIONS, outlines: DEFAULT_OUTLINE_OPTIONS, maxRotation: 45 };

/** A catalogue image's flat product, as the catalogue analysis stores it (keys from 100). */
async function product(name: string, key: number): Promise<FlatProduct> {
  const flag = name === 'mali' || name === 'guinea';
  const img = flagImage(400, 400, DRAWINGS[name]!, { cx: 200, cy: 200, width: flag ? 360 : 340, height: flag ? 240 : 340, turn: 0 }, 'white');
  const rect = flag ? productRectangle(img, findBackdrop(img).mask) : null;
  const shape = await productShape(img), outline = productOutline(img);
  return {
    key,
    ...(rect ? { layout: { aspect: rect.width / rect.height, colours: rectangleLayout(img, rect, LAYOUT_GRID), rect } } : {}),
    ...(shape ? { shape } : {}), ...(outline ? { outline } : {}),
  };
}

/** A shopper's photo of the drawing: turned, smaller, on a cluttered table, other light, JPEG 45. */
async function photo(name: string, turn: number): Promise<RgbImage> {
  const scene = relit(flagImage(640, 480, DRAWINGS[name]!, { cx: 310, cy: 250, width: 280, height: name === 'mali' ? 187 : 280, turn }, 'table', 5), [0.8, 0.8, 0.9], [10, 5, -5]);
  return decodeImage(await encodeJpeg(scene, { quality: 45 }));
}

describe('FlatWorker', () => {
  const worker = new FlatWorker();
  afterAll(() => worker.close());
  const names = Object.keys(DRAWINGS);

  it("finds in the worker thread what FlatIndex finds here: layouts, shapes and line drawings, filtered alike, following a rebuilt index", async () => {
    const index = new FlatIndex(await Promise.all(names.map((n, i) => product(n, 100 + i))));
    expect([index.layouts.size, index.shapes.size > 0, index.outlines.size]).toEqual([2, true, 1]);
    for (const [name, turn, kind] of [['mali', 20, 'layouts'], ['pear', -15, 'shapes'], ['outlined', 25, 'outlines']] as const) {
      const p = await photo(name, turn);
      const here = await index.match(p, OPTIONS);
      const there = await worker.match(index, p, OPTIONS);
      expect(there).toEqual(here);
      expect(here[kind][0]?.key).toBe(100 + names.indexOf(name));
      // A shopper's filter leaves the product out in both.
      const accept = (key: number): boolean => key !== 100 + names.indexOf(name);
      const filtered = await worker.match(index, p, OPTIONS, accept);
      expect(filtered).toEqual(await index.match(p, OPTIONS, accept));
      expect(filtered[kind].some((m) => m.key === 100 + names.indexOf(name))).toBe(false);
    }
    // Another index (the catalogue changed): the worker gets the new one.
    const smaller = new FlatIndex([await product('guinea', 7)]);
    const mali = await photo('mali', 20);
    expect(await worker.match(smaller, mali, OPTIONS)).toEqual(await smaller.match(mali, OPTIONS));
    expect(worker.memoryBytes).toBe(smaller.memoryBytes);
  });

  it('matches here once the worker is closed, and finds nothing in an empty index', async () => {
    const index = new FlatIndex([await product('arrow', 1)]);
    const p = await photo('arrow', -20);
    const closed = new FlatWorker();
    await closed.close();
    const here = await index.match(p, OPTIONS);
    expect(here.shapes[0]?.key).toBe(1);
    expect(await closed.match(index, p, OPTIONS)).toEqual(here);
    const empty = new FlatIndex();
    expect(empty.searchable(OPTIONS)).toBe(false);
    expect(await worker.match(empty, p, OPTIONS)).toEqual({ layouts: [], shapes: [], outlines: [] });
  });
});
