import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../eval/random.js';
import type { RgbImage } from '../../imaging/types.js';
import { colourFit, sameColourUnderLight } from './colour.js';
import { colourEvidence, keptColourEvidence } from './evidence.js';

type Rgb = [number, number, number];

/** A 48×32 colour copy: white margin, then bands of the given colours (horizontal or vertical). */
function banded(colours: Rgb[], vertical = false): RgbImage {
  const width = 48, height = 32, data = Buffer.alloc(width * height * 3, 255);
  for (let y = 3; y < height - 3; y++) {
    for (let x = 3; x < width - 3; x++) {
      const t = vertical ? (x - 3) / (width - 6) : (y - 3) / (height - 6);
      data.set(colours[Math.min(colours.length - 1, Math.floor(t * colours.length))]!, (y * width + x) * 3);
    }
  }
  return { data, width, height, channels: 3 };
}

/** The feature frame the model starts from: 10× the colour copy, as a 480×320 catalog image. */
const FRAME = { width: 480, height: 320 };

/** Similarity (frame → photo) as a homography: scale s, rotation deg, then translation. */
function similarity(s: number, deg: number, tx: number, ty: number): Float64Array {
  const a = s * Math.cos((deg * Math.PI) / 180), b = s * Math.sin((deg * Math.PI) / 180);
  return Float64Array.from([a, -b, tx, b, a, ty, 0, 0, 1]);
}

/**
 * A shopper-style photo: a noisy table with clutter bars, and `product` drawn through `model` with
 * other light (gain, offset, a little channel mixing), as a blurred photo would show it.
 */
function photoOf(product: RgbImage, model: Float64Array, seed = 1): RgbImage {
  const width = 320, height = 240, data = Buffer.alloc(width * height * 3);
  const r = seededRandom(seed);
  const [a, , tx, b, , ty] = model;
  const det = a! * a! + b! * b!;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Inverse similarity: photo → frame → colour copy.
      const dx = x + 0.5 - tx!, dy = y + 0.5 - ty!;
      const fx = (a! * dx + b! * dy) / det, fy = (-b! * dx + a! * dy) / det;
      const cx = Math.floor((fx * product.width) / FRAME.width), cy = Math.floor((fy * product.height) / FRAME.height);
      let rgb: number[] = [110 + (x % 40), 90 + ((x + y) % 30), 70 + (y % 50)];
      if (cx >= 0 && cy >= 0 && cx < product.width && cy < product.height) {
        const o = (cy * product.width + cx) * 3;
        const c = [product.data[o]!, product.data[o + 1]!, product.data[o + 2]!];
        if (!(c[0]! > 235 && c[1]! > 235 && c[2]! > 235)) rgb = [0.8 * c[0]! + 0.1 * c[1]! + 15, 0.9 * c[1]! + 5, 0.05 * c[0]! + 0.75 * c[2]! + 25];
      }
      data.set(rgb.map((v) => Math.max(0, Math.min(255, Math.round(v + (r() - 0.5) * 16)))), (y * width + x) * 3);
    }
  }
  return { data, width, height, channels: 3 };
}

const FLAG = banded([[20, 140, 60], [250, 220, 0], [220, 30, 40]]);
const POSE = similarity(0.5, 20, 120, 20);

describe('colour check of a match (colourFit)', () => {
  it('explains most of the photo colour over the right product, under other light', () => {
    const fit = colourFit(photoOf(FLAG, POSE), FLAG, POSE, FRAME)!;
    expect(fit.samples).toBeGreaterThan(800);
    expect(fit.explained).toBeGreaterThan(0.9);
  });

  it('explains little for another product at the same place, or the right one placed wrongly', () => {
    const photo = photoOf(FLAG, POSE);
    // Same colours, other layout: a vertical tricolour.
    expect(colourFit(photo, banded([[20, 140, 60], [250, 220, 0], [220, 30, 40]], true), POSE, FRAME)!.explained).toBeLessThan(0.3);
    // The right drawing, placed half a product off: mostly over the table.
    expect(colourFit(photo, FLAG, similarity(0.5, 20, 10, 120), FRAME)!.explained).toBeLessThan(0.3);
  });

  it('keeps the right product’s colours under other light, not a recoloured copy’s, though one colour map explains both', () => {
    expect(colourFit(photoOf(FLAG, POSE), FLAG, POSE, FRAME)!.kept).toBeGreaterThan(0.95);
    // A black-and-grey sign, and the same drawing in purple and pink among the clutter.
    const sign = banded([[15, 15, 15], [200, 200, 200], [15, 15, 15], [200, 200, 200]]);
    const recoloured = banded([[110, 30, 150], [230, 120, 190], [110, 30, 150], [230, 120, 190]]);
    const copy = colourFit(photoOf(recoloured, POSE), sign, POSE, FRAME)!;
    expect(copy.explained).toBeGreaterThan(0.9);
    expect(copy.kept).toBeLessThan(0.6);
    expect(colourFit(photoOf(sign, POSE), sign, POSE, FRAME)!.kept).toBeGreaterThan(0.95);
  });

  it('gives a single-colour product no credit, and no judgement when the product is outside the photo', () => {
    const plain = banded([[200, 40, 40]]);
    expect(colourFit(photoOf(plain, POSE), plain, POSE, FRAME)!.explained).toBeLessThan(0.2);
    expect(colourFit(photoOf(FLAG, POSE), FLAG, similarity(0.5, 0, 400, 300), FRAME)).toBeNull();
  });
});

describe('colourEvidence', () => {
  it('re-ranks by the colour fit without ever making an exact claim', () => {
    expect(colourEvidence(5, 0.2, 20)).toBe(5); // chance-level colour: no credit
    expect(colourEvidence(5, 0.8, 20)).toBeCloseTo(15);
    // Near the threshold the order is kept, but the sum stays below it.
    const a = colourEvidence(15, 0.7, 20), b = colourEvidence(15, 0.95, 20), c = colourEvidence(19, 1, 20);
    expect(a).toBeLessThan(b);
    expect(b).toBeLessThan(c);
    expect(c).toBeLessThan(20);
    // An exact match keeps its claim and gains from its colours.
    expect(colourEvidence(25, 0.9, 20)).toBeCloseTo(37);
    expect(colourEvidence(25, 0.1, 20)).toBe(25);
  });
});

describe('keptColourEvidence', () => {
  it('ranks a match whose colours are not the catalogue’s lower, and never touches an exact one', () => {
    expect(keptColourEvidence(15, 0.9, 20)).toBe(15);
    expect(keptColourEvidence(15, 0.3, 20)).toBeCloseTo(12);
    expect(keptColourEvidence(25, 0.1, 20)).toBe(25);
  });
});

describe('sameColourUnderLight', () => {
  it('lets a colour through dimmer or warmer light, not another hue or a grey for a vivid colour', () => {
    expect(sameColourUnderLight([210, 40, 40], [150, 45, 30])).toBe(true);
    expect(sameColourUnderLight([250, 250, 250], [170, 165, 150])).toBe(true);
    expect(sameColourUnderLight([20, 20, 20], [45, 40, 50])).toBe(true);
    expect(sameColourUnderLight([210, 40, 40], [40, 170, 60])).toBe(false);
    expect(sameColourUnderLight([250, 250, 250], [20, 20, 20])).toBe(false);
    expect(sameColourUnderLight([30, 60, 220], [120, 120, 125])).toBe(false);
  });
});
