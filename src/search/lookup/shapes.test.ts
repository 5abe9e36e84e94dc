import { describe, expect, it } from 'vitest';
import { arrow, disc, gradientArrow, pear } from '../../../test/factories/drawings.js';
import { flagImage, relit, type Rgb } from '../../../test/factories/flags.js';
import { readFile } from 'node:fs/promises';
import { decodeImage, encodeJpeg } from '../../imaging/index.js';
import type { RgbImage } from '../../imaging/types.js';
import { shapeEvidence } from './evidence.js';
import { DEFAULT_SHAPE_OPTIONS, productShape, ShapeIndex } from './shapes.js';

const GREEN: Rgb = [40, 170, 60], YELLOW: Rgb = [235, 215, 50], ORANGE: Rgb = [240, 140, 20], BROWN: Rgb = [90, 40, 10];
const DRAWINGS: Record<string, (u: number, v: number) => Rgb | null> = {
  cd: disc(GREEN, YELLOW),
  // The same CD with its rings' colours swapped: the same regions, other colours where they are.
  swapped: disc(YELLOW, GREEN),
  arrow: arrow(ORANGE, BROWN),
  pear: pear([120, 190, 40], [210, 235, 130], BROWN),
  blue: disc([30, 60, 200], [250, 120, 180]),
  // Yellow to green, no outline: its flat regions are bands that move with the light.
  gradient: gradientArrow([240, 230, 30], [40, 160, 40]),
  // A square drawn as its thin black border, white inside (the catalogue's backdrop colour).
  outlined: (u, v) => {
    const edge = Math.min(u - 0.1, 0.9 - u, v - 0.1, 0.9 - v);
    return edge < 0 ? null : edge < 0.02 ? [10, 10, 10] : [255, 255, 255];
  },
};

/** A catalogue image of the drawing: 400 px on white. */
function catalogue(name: string): RgbImage {
  return flagImage(400, 400, DRAWINGS[name]!, { cx: 200, cy: 200, width: 340, height: 340, turn: 0 }, 'white');
}

/** A shopper's photo of the drawing: turned, smaller, on a cluttered table, other light, JPEG 40. */
async function photo(name: string, turn: number, seed = 3): Promise<RgbImage> {
  const scene = relit(flagImage(640, 480, DRAWINGS[name]!, { cx: 300, cy: 260, width: 260, height: 260, turn }, 'table', seed), [0.8, 0.75, 0.9], [10, 5, -5]);
  return decodeImage(await encodeJpeg(scene, { quality: 40 }));
}

async function index(names: string[]): Promise<ShapeIndex> {
  const idx = new ShapeIndex();
  for (const [i, name] of names.entries()) idx.add(i, (await productShape(catalogue(name)))!);
  return idx;
}

describe('productShape', () => {
  it("keeps a drawing's largest flat regions and its colours at ~200 points, in the 320-px frame", async () => {
    const shape = (await productShape(catalogue('cd')))!;
    expect(shape.points.length / 2).toBeGreaterThan(150);
    expect(shape.points.length / 2).toBeLessThan(260);
    expect(shape.colours.length).toBe((shape.points.length / 2) * 3);
    // A disc 0.96 × 340 = 326 px across at 400 px is 261 px at 320.
    expect(shape.extent).toBeGreaterThan(255);
    expect(shape.extent).toBeLessThan(267);
    // The two rings, each with ~40 of its pixels; both round, the outer one wider.
    expect(shape.anchors).toHaveLength(2);
    for (const a of shape.anchors) {
      expect(a.elongation).toBeLessThan(1.1);
      expect(a.points.length / 2).toBeGreaterThan(30);
      expect(a.cx).toBeCloseTo(160, -1);
    }
    expect(shape.anchors[0]!.spread).toBeGreaterThan(shape.anchors[1]!.spread);
  });

  it('has none for a product of one colour, or an image without a plain backdrop', async () => {
    const plain = flagImage(400, 400, disc([200, 30, 30], [200, 30, 30]), { cx: 200, cy: 200, width: 340, height: 340, turn: 0 }, 'white');
    expect(await productShape(plain)).toBeNull();
    // The CD's white hole is the backdrop's colour: left out, it leaves two colours.
    const white = flagImage(400, 400, disc([200, 30, 30], [255, 255, 255]), { cx: 200, cy: 200, width: 340, height: 340, turn: 0 }, 'white');
    expect(await productShape(white)).toBeNull();
    const noise = Buffer.from(Array.from({ length: 400 * 400 * 3 }, (_, i) => (i * 7919) % 251));
    expect(await productShape({ data: noise, width: 400, height: 400, channels: 3 })).toBeNull();
  });
});

describe('ShapeIndex', () => {
  it('finds a turned, smaller drawing on a cluttered table under other light, with its box', async () => {
    const names = ['cd', 'swapped', 'arrow', 'pear', 'blue'];
    const idx = await index(names);
    for (const [name, turn] of [['arrow', -25], ['pear', 20], ['cd', 35]] as const) {
      const matches = await idx.match(await photo(name, turn), DEFAULT_SHAPE_OPTIONS, 45);
      expect(names[matches[0]!.key]).toBe(name);
      expect(matches[0]!.fit).toBeGreaterThan(0.85);
      const box = matches[0]!.box;
      expect(box.x + box.width / 2).toBeCloseTo(300 / 640, 1);
      expect(box.y + box.height / 2).toBeCloseTo(260 / 480, 1);
    }
  });

  it('keeps a gradient fill as one region grown across the gradient, and finds the drawing', async () => {
    const shape = (await productShape(catalogue('gradient')))!;
    // Grown flat, the fill is bands; grown across the gradient it is one region, most of the arrow.
    const grown = shape.anchors.filter((a) => a.level === 1);
    expect(grown.length).toBeGreaterThan(0);
    expect(Math.max(...grown.map((a) => a.area))).toBeGreaterThan(2 * Math.max(...shape.anchors.filter((a) => !a.level).map((a) => a.area)));
    const idx = await index(['gradient', 'arrow', 'cd', 'pear']);
    const matches = await idx.match(await photo('gradient', -20), DEFAULT_SHAPE_OPTIONS, 45);
    expect(matches[0]!.key).toBe(0);
    expect(matches[0]!.fit).toBeGreaterThan(0.8);
  });

  it('places an outlined shape by its inside, which a thin border in a photo is not', async () => {
    const shape = (await productShape(catalogue('outlined')))!;
    const inside = shape.anchors.filter((a) => a.level === 2);
    expect(inside).toHaveLength(1);
    expect(inside[0]!.area).toBeGreaterThan(5 * shape.anchors.filter((a) => a.level !== 2).reduce((n, a) => n + a.area, 0));
    const idx = await index(['outlined', 'cd', 'arrow', 'pear']);
    const matches = await idx.match(await photo('outlined', 15), DEFAULT_SHAPE_OPTIONS, 45);
    expect(matches[0]!.key).toBe(0);
    expect(matches[0]!.fit).toBeGreaterThan(0.8);
    const box = matches[0]!.box;
    expect(box.x + box.width / 2).toBeCloseTo(300 / 640, 1);
    expect(box.y + box.height / 2).toBeCloseTo(260 / 480, 1);
    // A disc's hole, smaller than the disc, stays out: in a photo it may be the table seen through.
    expect((await productShape(catalogue('cd')))!.anchors.some((a) => a.level === 2)).toBe(false);
  });

  it("does not let a drawing with another drawing's regions in other colours pass for it", async () => {
    const idx = await index(['cd', 'swapped']);
    const matches = await idx.match(await photo('cd', 10), DEFAULT_SHAPE_OPTIONS, 45);
    expect(matches[0]!.key).toBe(0);
    // One gain for the three channels: green and yellow do not swap.
    expect(matches.find((m) => m.key === 1)?.fit ?? 0).toBeLessThan(0.3);
  });

  it('finds nothing beyond its turn limit, in a photo without the drawing, or where a filter leaves it out', async () => {
    const idx = await index(['arrow', 'pear']);
    const turned = await photo('arrow', 90);
    expect((await idx.match(turned, DEFAULT_SHAPE_OPTIONS, 45)).filter((m) => m.key === 0)).toEqual([]);
    expect((await idx.match(await photo('arrow', 0), DEFAULT_SHAPE_OPTIONS, 45, (key) => key !== 0)).some((m) => m.key === 0)).toBe(false);
    const table = decodeImage(await encodeJpeg(flagImage(640, 480, () => null, { cx: 0, cy: 0, width: 1, height: 1, turn: 0 }, 'table', 9), { quality: 40 }));
    expect((await idx.match(await table, DEFAULT_SHAPE_OPTIONS, 45)).filter((m) => m.fit > 0.8)).toEqual([]);
    expect(await new ShapeIndex().match(turned, DEFAULT_SHAPE_OPTIONS, 45)).toEqual([]);
  });

  it('refines a roughly placed product from a low first fit: a page of text lines on a cluttered table', async () => {
    // A lookup-benchmark catalogue image and a tuning photo of it (seed 7), from Open Clip Art.
    const fixture = async (name: string): Promise<RgbImage> => decodeImage(await readFile(new URL(`../../../test/fixtures/images/${name}`, import.meta.url)), undefined, { maxSide: 640 });
    const idx = new ShapeIndex();
    idx.add(0, (await productShape(await fixture('page-catalogue.jpg')))!);
    const shot = await fixture('page-photo.jpg');
    const [match] = await idx.match(shot, DEFAULT_SHAPE_OPTIONS, 30);
    expect(match?.key).toBe(0);
    expect(match!.fit).toBeGreaterThan(0.75);
    // Its anchors place it so roughly that a placement kept only from 0.45 is never refined.
    expect(await idx.match(shot, { ...DEFAULT_SHAPE_OPTIONS, quickFit: 0.45 }, 30)).toEqual([]);
  });

  it('takes tiny or one-pixel images without failing', async () => {
    const dot = { data: Buffer.from([200, 30, 30]), width: 1, height: 1, channels: 3 as const };
    expect(await productShape(dot)).toBeNull();
    const idx = await index(['cd']);
    expect(await idx.match(dot, DEFAULT_SHAPE_OPTIONS, 45)).toEqual([]);
    const strip = flagImage(200, 3, DRAWINGS.cd!, { cx: 100, cy: 1, width: 3, height: 3, turn: 0 }, 'table');
    expect(await idx.match(strip, DEFAULT_SHAPE_OPTIONS, 45)).toEqual([]);
  });

  it('reports its size and memory', async () => {
    const idx = await index(['cd', 'arrow']);
    expect(idx.size).toBe(2);
    expect(idx.memoryBytes).toBeGreaterThan(2 * 200 * 7);
    expect(idx.memoryBytes).toBeLessThan(2 * 5_000);
  });
});

describe('shapeEvidence', () => {
  it('ranks from chance level at the least fit, below a colour layout and an exact match', () => {
    expect(shapeEvidence(0.6, 0.6)).toBe(4);
    expect(shapeEvidence(0.8, 0.6)).toBeCloseTo(8);
    expect(shapeEvidence(1, 0.6)).toBe(10);
  });
});
