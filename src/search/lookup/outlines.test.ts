import { describe, expect, it } from 'vitest';
import { arrow, arrowHeadOutline, outlinedArrow, ring } from '../../../test/factories/drawings.js';
import { flagImage, relit, type Rgb } from '../../../test/factories/flags.js';
import { decodeImage, encodeJpeg } from '../../imaging/index.js';
import type { RgbImage } from '../../imaging/types.js';
import { DEFAULT_OUTLINE_OPTIONS, OutlineIndex, productOutline } from './outlines.js';

const RED: Rgb = [225, 40, 30], BLUE: Rgb = [40, 70, 210];
const DRAWINGS: Record<string, (u: number, v: number) => Rgb | null> = {
  red: outlinedArrow(RED),
  blue: outlinedArrow(BLUE),
  ring: ring(RED),
  black: outlinedArrow([20, 20, 20]),
  filled: arrow(RED, RED),
  // A card's back: thin lines 1/40 of the card apart, a texture rather than a drawing.
  lattice: (u, v) => ((u * 40) % 1 < 0.15 || (v * 40) % 1 < 0.15 ? BLUE : null),
  head: arrowHeadOutline(RED),
};

/** A catalogue image of the drawing: 400 px on white. */
function catalogue(name: string): RgbImage {
  return flagImage(400, 400, DRAWINGS[name]!, { cx: 200, cy: 200, width: 340, height: 340, turn: 0 }, 'white');
}

/** A shopper's photo: the drawing turned, smaller, on a cluttered table, in other light, JPEG 50. */
async function photo(draw: (u: number, v: number) => Rgb | null, turn: number, seed = 3): Promise<RgbImage> {
  const scene = relit(flagImage(640, 480, draw, { cx: 330, cy: 250, width: 300, height: 300, turn }, 'table', seed), [0.85, 0.8, 0.95], [10, 0, -10]);
  return decodeImage(await encodeJpeg(scene, { quality: 50 }));
}

function index(names: string[]): OutlineIndex {
  const idx = new OutlineIndex();
  for (const [i, name] of names.entries()) idx.add(i, productOutline(catalogue(name))!);
  return idx;
}

describe('productOutline', () => {
  it("keeps a coloured line drawing's strokes, the points beside them and their colour", () => {
    const o = productOutline(catalogue('red'))!;
    expect(o).not.toBeNull();
    expect(o.strokes.length / 2).toBeGreaterThan(60);
    expect(o.halo.length / 2).toBeGreaterThan(o.strokes.length / 2);
    for (let c = 0; c < 3; c++) expect(Math.abs(o.colour[c]! - RED[c]!)).toBeLessThan(30);
    // Centred on the drawing, in 1/200 of its longest side.
    const xs = Array.from(o.strokes).filter((_, i) => i % 2 === 0);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-101);
    expect(Math.max(...xs)).toBeLessThanOrEqual(101);
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(190);
  });

  it('has none for a filled drawing, a lattice of packed strokes, a black line drawing, or an image without a plain backdrop', () => {
    expect(productOutline(catalogue('filled'))).toBeNull();
    expect(productOutline(catalogue('lattice'))).toBeNull();
    expect(productOutline(catalogue('black'))).toBeNull();
    expect(productOutline(flagImage(400, 400, DRAWINGS.red!, { cx: 200, cy: 200, width: 340, height: 340, turn: 0 }, 'table'))).toBeNull();
  });
});

describe('OutlineIndex', () => {
  it('finds a red outlined arrow turned 20° on a cluttered table, with its box, ahead of other line drawings', async () => {
    const idx = index(['red', 'blue', 'ring']);
    const matches = idx.match(await photo(DRAWINGS.red!, 20), DEFAULT_OUTLINE_OPTIONS, 45);
    expect(matches[0]?.key).toBe(0);
    expect(matches[0]!.fit).toBeGreaterThan(0.85);
    // The blue copy's colour is not in the photo; the red ring does not fit the arrow's strokes.
    expect(matches.filter((m) => m.key !== 0)).toEqual([]);
    const box = matches[0]!.box;
    expect(box.x + box.width / 2).toBeCloseTo(330 / 640, 1);
    expect(box.y + box.height / 2).toBeCloseTo(250 / 480, 1);
    expect(box.width).toBeGreaterThan(0.3);
    expect(box.width).toBeLessThan(0.55);
  });

  it('finds the ring as the ring, and nothing in a photo with a filled red arrow or without the drawing', async () => {
    const idx = index(['red', 'ring']);
    expect(idx.match(await photo(DRAWINGS.ring!, -10), DEFAULT_OUTLINE_OPTIONS, 45).map((m) => m.key)).toEqual([1]);
    // A filled patch of the colour covers the points beside the strokes as well as the strokes.
    expect(idx.match(await photo(DRAWINGS.filled!, 10), DEFAULT_OUTLINE_OPTIONS, 45)).toEqual([]);
    expect(idx.match(await photo(() => null, 0, 5), DEFAULT_OUTLINE_OPTIONS, 45)).toEqual([]);
  });

  it('prefers the drawing that explains the strokes over a drawing that is part of it', async () => {
    const idx = index(['red', 'head']);
    const whole = await photo(DRAWINGS.red!, 15);
    // Alone, the arrow's head fits the arrow's strokes too.
    expect(idx.match(whole, DEFAULT_OUTLINE_OPTIONS, 45, (k) => k === 1).map((m) => m.key)).toEqual([1]);
    expect(idx.match(whole, DEFAULT_OUTLINE_OPTIONS, 45).map((m) => m.key)).toEqual([0]);
    // The head alone in a photo is the head.
    expect(idx.match(await photo(DRAWINGS.head!, 15), DEFAULT_OUTLINE_OPTIONS, 45).map((m) => m.key)).toEqual([1]);
  });

  it('looks only at accepted catalogue images and turns only as far as allowed', async () => {
    const idx = index(['red', 'ring']);
    const turned = await photo(DRAWINGS.red!, 20);
    expect(idx.match(turned, DEFAULT_OUTLINE_OPTIONS, 45, (k) => k !== 0)).toEqual([]);
    expect(idx.match(turned, DEFAULT_OUTLINE_OPTIONS, 0).filter((m) => m.key === 0)).toEqual([]);
    expect(idx.size).toBe(2);
    expect(idx.memoryBytes).toBeGreaterThan(0);
  });

  it('finds nothing, and does not fail, in a photo of a pixel or a thin strip', () => {
    const idx = index(['red']);
    for (const [width, height] of [[1, 1], [2, 40], [3, 7]] as const) {
      const tiny = { data: Buffer.alloc(width * height * 3, 200).fill(30, 0, 3), width, height, channels: 3 as const };
      expect(idx.match(tiny, DEFAULT_OUTLINE_OPTIONS, 45)).toEqual([]);
    }
  });
});
