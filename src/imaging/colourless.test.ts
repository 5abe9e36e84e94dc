import { describe, expect, it } from 'vitest';
import { isColourless } from './colourless.js';
import type { RgbImage } from './types.js';

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), 3 * (y * width + x));
  return { data, width, height, channels: 3 };
}

describe('colourless images', () => {
  it('are grey everywhere, up to JPEG-like chroma noise and a stray coloured speck', () => {
    expect(isColourless(image(64, 48, (x, y) => [(x * 4 + y) % 256, (x * 4 + y) % 256, (x * 4 + y) % 256]))).toBe(true);
    expect(isColourless(image(64, 48, (x) => [100 + (x % 5), 98, 104]))).toBe(true);
    expect(isColourless(image(100, 100, (x, y) => (x === 50 && y === 50 ? [255, 0, 0] : [30, 30, 30])))).toBe(true);
  });

  it('are not images with a coloured part, even a small one', () => {
    expect(isColourless(image(64, 48, () => [200, 40, 40]))).toBe(false);
    // A red patch on a tenth of a grey image.
    expect(isColourless(image(100, 100, (x, y) => (x < 32 && y < 32 ? [200, 60, 60] : [128, 128, 128])))).toBe(false);
    expect(isColourless({ data: Buffer.alloc(0), width: 0, height: 0, channels: 3 })).toBe(false);
  });
});
