import { describe, expect, it } from 'vitest';
import { flagImage, relit, stripes, type Rgb } from '../../../test/factories/flags.js';
import { findBackdrop } from '../../imaging/backdrop.js';
import { productRectangle, rectangleLayout } from '../../imaging/flat-regions.js';
import { decodeImage, encodeJpeg } from '../../imaging/index.js';
import { DEFAULT_LAYOUT_OPTIONS, LAYOUT_GRID, LayoutIndex, layoutFit, layoutUnder, type ProductLayout } from './layouts.js';
import { placementEvidence, layoutEvidence } from './evidence.js';

const FLAGS: Record<string, (u: number, v: number) => Rgb> = {
  mali: stripes([[20, 160, 60], [250, 210, 20], [210, 30, 40]], true),
  guinea: stripes([[210, 30, 40], [250, 210, 20], [20, 160, 60]], true),
  bolivia: stripes([[210, 30, 40], [250, 210, 20], [20, 160, 60]]),
  sweden: (u, v) => (Math.abs(u - 0.375) < 0.08 || Math.abs(v - 0.5) < 0.1 ? [250, 205, 0] : [0, 100, 170]),
  basque: (u, v) => (Math.abs(u - 0.375) < 0.08 || Math.abs(v - 0.5) < 0.1 ? [225, 225, 205] : [210, 30, 40]),
};

/** The layout stored for a catalogue image of the flag (3:2, on white). */
function catalogueLayout(name: string): ProductLayout {
  const img = flagImage(300, 300, FLAGS[name]!, { cx: 150, cy: 150, width: 270, height: 180, turn: 0 }, 'white');
  const rect = productRectangle(img, findBackdrop(img).mask)!;
  return { aspect: rect.width / rect.height, colours: rectangleLayout(img, rect, LAYOUT_GRID) };
}

describe('layoutFit', () => {
  it('explains the same layout under other light, not another layout of the same colours', () => {
    const mali = catalogueLayout('mali');
    const dim = relit({ data: Buffer.from(mali.colours), width: LAYOUT_GRID, height: LAYOUT_GRID, channels: 3 }, [0.7, 0.75, 0.8], [15, 5, -10]);
    expect(layoutFit(dim.data, mali.colours)).toBeGreaterThan(0.95);
    // Guinea is Mali's stripes the other way round; Bolivia the same colours across.
    expect(layoutFit(dim.data, catalogueLayout('guinea').colours)).toBeLessThan(0.3);
    expect(layoutFit(dim.data, catalogueLayout('bolivia').colours)).toBeLessThan(0.3);
  });

  it('needs the colours to keep their order in every channel (one gain for all three)', () => {
    // The Basque flag's cream cross on red has the Swedish flag's layout: a gain per channel could
    // turn blue and yellow into red and cream; one gain cannot.
    const basque = catalogueLayout('basque'), sweden = catalogueLayout('sweden');
    expect(layoutFit(basque.colours, basque.colours)).toBeGreaterThan(0.99);
    expect(layoutFit(basque.colours, sweden.colours)).toBeLessThan(0.5);
  });

  it('gives a single-colour layout no fit', () => {
    const plain = new Uint8Array(LAYOUT_GRID * LAYOUT_GRID * 3).fill(120);
    expect(layoutFit(plain, catalogueLayout('mali').colours)).toBe(0);
    expect(layoutFit(catalogueLayout('mali').colours, plain)).toBe(0);
  });
});

describe('layoutUnder', () => {
  it("reads the photo's colours where a match's homography puts the product's rectangle: the right flag fits, its recoloured twin not", () => {
    const catalogue = flagImage(300, 300, FLAGS.mali!, { cx: 150, cy: 150, width: 270, height: 180, turn: 0 }, 'white');
    const rect = productRectangle(catalogue, findBackdrop(catalogue).mask)!;
    const turn = (-22 * Math.PI) / 180, k = 240 / 270, c = Math.cos(turn), s = Math.sin(turn);
    const photo = relit(flagImage(640, 480, FLAGS.mali!, { cx: 330, cy: 250, width: 240, height: 160, turn: -22 }, 'table', 4), [0.8, 0.75, 0.85], [5, 10, 0]);
    // Catalogue frame → photo: scaled by k, turned, moved to the flag's centre.
    const model = Float64Array.from([k * c, -k * s, 330 - 150 * k * (c - s), k * s, k * c, 250 - 150 * k * (s + c), 0, 0, 1]);
    const under = layoutUnder(photo, rect, model)!;
    expect(layoutFit(under, catalogueLayout('mali').colours)).toBeGreaterThan(0.9);
    // Guinea has the same layout with its colours swapped: an affine colour map would explain it.
    expect(layoutFit(under, catalogueLayout('guinea').colours)).toBeLessThan(0.3);
    // A model that puts the rectangle mostly outside the photo gives no judgement.
    expect(layoutUnder(photo, rect, Float64Array.from([1, 0, 600, 0, 1, 0, 0, 0, 1]))).toBeNull();
  });
});

describe('LayoutIndex', () => {
  const names = Object.keys(FLAGS);
  const index = new LayoutIndex();
  names.forEach((name, key) => index.add(key, catalogueLayout(name)));

  it('finds a turned flag in a cluttered, darker, JPEG photo, and its box', async () => {
    const scene = flagImage(640, 480, FLAGS.mali!, { cx: 300, cy: 260, width: 270, height: 180, turn: 25 }, 'table', 7);
    const photo = await decodeImage(await encodeJpeg(relit(scene, [0.75, 0.8, 0.7], [10, 0, 5]), { quality: 40 }));
    const matches = await index.match(photo, DEFAULT_LAYOUT_OPTIONS);
    expect(matches[0]?.key).toBe(names.indexOf('mali'));
    expect(matches[0]!.fit).toBeGreaterThan(0.8);
    const box = matches[0]!.box;
    expect(box.x + box.width / 2).toBeCloseTo(300 / 640, 1);
    expect(box.y + box.height / 2).toBeCloseTo(260 / 480, 1);
    // Guinea, Mali's stripes the other way round, is not among the matches.
    expect(matches.some((m) => m.key === names.indexOf('guinea'))).toBe(false);
    // The shopper's filters apply.
    expect((await index.match(photo, DEFAULT_LAYOUT_OPTIONS, (k) => k !== names.indexOf('mali'))).some((m) => m.key === names.indexOf('mali'))).toBe(false);
  });

  it('matches nothing in a photo without a flat rectangle, and nothing when empty', async () => {
    const table = flagImage(640, 480, () => [0, 0, 0], { cx: -500, cy: -500, width: 1, height: 1, turn: 0 }, 'table', 8);
    expect(await index.match(table, DEFAULT_LAYOUT_OPTIONS)).toEqual([]);
    expect(await new LayoutIndex().match(table, DEFAULT_LAYOUT_OPTIONS)).toEqual([]);
  });
});

describe('layoutEvidence', () => {
  it('ranks between chance and an exact match, growing with the fit', () => {
    expect(layoutEvidence(0.5, 0.5)).toBe(10);
    expect(layoutEvidence(1, 0.5)).toBe(18);
    expect(layoutEvidence(0.75, 0.5)).toBeCloseTo(14);
    expect(layoutEvidence(0.2, 0.5)).toBe(10);
  });
});

describe('placementEvidence', () => {
  it('keeps a large placement’s evidence and scales a small one’s by its side', () => {
    expect(placementEvidence(12, { x: 0.2, y: 0.1, width: 0.5, height: 0.4 })).toBe(12);
    expect(placementEvidence(12, { x: 0, y: 0, width: 0.3, height: 0.3 })).toBeCloseTo(12);
    expect(placementEvidence(12, { x: 0.5, y: 0.5, width: 0.15, height: 0.15 })).toBeCloseTo(6);
    expect(placementEvidence(12, { x: 0.5, y: 0.5, width: 0, height: 0.2 })).toBe(0);
  });
});
