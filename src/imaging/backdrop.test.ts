import { describe, expect, it } from 'vitest';
import { seededRandom } from '../eval/random.js';
import { backdropGreys, findBackdrop, onBackdrop } from './backdrop.js';
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
