import { describe, expect, it } from 'vitest';
import { seededRandom } from '../eval/random.js';
import sharp from 'sharp';
import { backdropGreys, findBackdrop, hasCleanBackdrop, onBackdrop } from './backdrop.js';
import { decodeImage } from './decode.js';
import type { RgbImage } from './types.js';

/**
 * 40×30 of `level` grey (with JPEG-like noise) and a red frame from (10,5) to (29,24) enclosing a
 * square of the same grey.
 */
function framed(level = 247): RgbImage {
  const width = 40, height = 30;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const o = 3 * (y * width + x);
    const frame = x >= 10 && x < 30 && y >= 5 && y < 25 && !(x >= 13 && x < 27 && y >= 8 && y < 22);
    const plain = Math.max(0, Math.min(255, level + ((x * 7 + y * 3) % 15) - 7));
    data[o] = frame ? 200 : plain;
    data[o + 1] = frame ? 20 : plain;
    data[o + 2] = frame ? 30 : plain;
  }
  return { data, width, height, channels: 3 };
}

describe('findBackdrop', () => {
  const outside = (40 * 30 - 20 * 20) / (40 * 30);

  it('takes the pixels of the border colour connected to the border, not those the product encloses', () => {
    const img = framed();
    const { mask, share, colour } = findBackdrop(img);
    const at = (x: number, y: number): number => mask[y * img.width + x]!;
    expect(at(0, 0)).toBe(1);
    expect(at(39, 29)).toBe(1);
    expect(at(5, 15)).toBe(1);
    expect(at(10, 5)).toBe(0); // the frame
    expect(at(20, 15)).toBe(0); // enclosed, though of the backdrop's colour
    expect(share).toBeCloseTo(outside, 5);
    expect(Math.abs(colour[0] - 247)).toBeLessThanOrEqual(7);
  });

  it('finds a grey sweep or a black studio as well as white', () => {
    expect(findBackdrop(framed(200)).share).toBeCloseTo(outside, 5);
    expect(findBackdrop(framed(12)).share).toBeCloseTo(outside, 5);
  });

  it('finds none when the border is not mostly one colour (a photo of a room or a table)', () => {
    const img = framed();
    const r = seededRandom(3);
    for (let i = 0; i < img.data.length; i++) img.data[i] = Math.floor(r() * 256);
    expect(findBackdrop(img).share).toBe(0);
  });

  it('paints only the backdrop', () => {
    const img = framed();
    const before = Buffer.from(img.data);
    const { mask } = findBackdrop(img);
    const dark = onBackdrop(img, mask, 48);
    expect(img.data.equals(before)).toBe(true); // the input is left as it was
    for (let i = 0; i < mask.length; i++) {
      const px = [...dark.data.subarray(3 * i, 3 * i + 3)];
      expect(px).toEqual(mask[i] ? [48, 48, 48] : [...before.subarray(3 * i, 3 * i + 3)]);
    }
  });
});

describe('backdropGreys', () => {
  it('paints a white backdrop the given greys, and a dark one the lighter of them and white', () => {
    expect(backdropGreys([255, 255, 255], [48, 128])).toEqual([48, 128]);
    expect(backdropGreys([250, 252, 249], [48, 128])).toEqual([48, 128]);
    expect(backdropGreys([10, 10, 10], [48, 128])).toEqual([128, 255]);
    expect(backdropGreys([130, 126, 128], [48, 128])).toEqual([48, 255]);
  });
});

/**
 * 80×60 of `level` grey with uniform noise of ±`noise` levels per channel and light falling off by
 * `falloff` levels from left to right, a red product in the middle.
 */
function studio(level: number, noise: number, falloff = 0, seed = 5): RgbImage {
  const width = 80, height = 60;
  const r = seededRandom(seed);
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const o = 3 * (y * width + x);
    const product = x >= 20 && x < 60 && y >= 15 && y < 45;
    for (let c = 0; c < 3; c++) data[o + c] = product ? [190, 30, 40][c]! : Math.max(0, Math.min(255, Math.round(level - (falloff * x) / width + (2 * r() - 1) * noise)));
  }
  return { data, width, height, channels: 3 };
}

describe('hasCleanBackdrop', () => {
  it('is true for a product on a flat white, grey or black backdrop', () => {
    expect(hasCleanBackdrop(studio(255, 0))).toBe(true);
    expect(hasCleanBackdrop(studio(200, 1))).toBe(true);
    expect(hasCleanBackdrop(studio(0, 0))).toBe(true);
  });

  it("is false for a backdrop with a photo's noise or uneven light (a table, a wall)", () => {
    expect(hasCleanBackdrop(studio(200, 6))).toBe(false);
    expect(hasCleanBackdrop(studio(120, 12))).toBe(false);
    expect(hasCleanBackdrop(studio(200, 0, 24))).toBe(false);
  });

  it('is false when the product fills most of the border', () => {
    const img = studio(255, 0);
    for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) if (y < 45 || x < 20) img.data.fill(90, 3 * (y * img.width + x), 3 * (y * img.width + x) + 3);
    for (let x = 0; x < img.width; x++) img.data[3 * x] = x; // a gradient, not one colour
    expect(hasCleanBackdrop(img)).toBe(false);
    expect(hasCleanBackdrop({ data: Buffer.alloc(0), width: 0, height: 0, channels: 3 })).toBe(false);
  });

  it('survives JPEG: a catalogue image stays clean, a photo of a table does not', async () => {
    const jpeg = async (img: RgbImage, quality: number): Promise<RgbImage> =>
      decodeImage(await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality }).toBuffer());
    expect(hasCleanBackdrop(await jpeg(studio(255, 0), 40))).toBe(true);
    expect(hasCleanBackdrop(await jpeg(studio(235, 0), 75))).toBe(true);
    // JPEG smooths much of a photo's pixel noise away, not its uneven light.
    expect(hasCleanBackdrop(await jpeg(studio(200, 3, 24), 40))).toBe(false);
    expect(hasCleanBackdrop(await jpeg(studio(200, 6, 12), 75))).toBe(false);
  });
});
