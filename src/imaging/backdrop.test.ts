import { describe, expect, it } from 'vitest';
import { backdropMask, maskShare, onBackdrop } from './backdrop.js';
import type { RgbImage } from './types.js';

/** 40×30 near-white (JPEG-like noise) with a red frame from (10,5) to (29,24) enclosing a white square. */
function framed(): RgbImage {
  const width = 40, height = 30;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const o = 3 * (y * width + x);
    const frame = x >= 10 && x < 30 && y >= 5 && y < 25 && !(x >= 13 && x < 27 && y >= 8 && y < 22);
    const light = 240 + ((x * 7 + y * 3) % 15);
    data[o] = frame ? 200 : light;
    data[o + 1] = frame ? 20 : light;
    data[o + 2] = frame ? 30 : light;
  }
  return { data, width, height, channels: 3 };
}

describe('backdropMask', () => {
  it('takes the light pixels connected to the border, not the white the product encloses', () => {
    const img = framed();
    const mask = backdropMask(img);
    const at = (x: number, y: number): number => mask[y * img.width + x]!;
    expect(at(0, 0)).toBe(1);
    expect(at(39, 29)).toBe(1);
    expect(at(5, 15)).toBe(1);
    expect(at(10, 5)).toBe(0); // the frame
    expect(at(20, 15)).toBe(0); // enclosed white
    expect(maskShare(mask)).toBeCloseTo((40 * 30 - 20 * 20) / (40 * 30), 5);
  });

  it('finds none on a photo without a light backdrop', () => {
    const img = framed();
    for (let i = 0; i < img.data.length; i++) img.data[i] = Math.min(img.data[i]!, 120);
    expect(maskShare(backdropMask(img))).toBe(0);
  });

  it('paints only the backdrop', () => {
    const img = framed();
    const before = Buffer.from(img.data);
    const mask = backdropMask(img);
    const dark = onBackdrop(img, mask, 48);
    expect(img.data.equals(before)).toBe(true); // the input is left as it was
    for (let i = 0; i < mask.length; i++) {
      const px = [...dark.data.subarray(3 * i, 3 * i + 3)];
      expect(px).toEqual(mask[i] ? [48, 48, 48] : [...before.subarray(3 * i, 3 * i + 3)]);
    }
  });
});
