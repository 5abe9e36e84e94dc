import { describe, expect, it } from 'vitest';
import type { GrayImage, RgbImage } from './types.js';
import { turnedSize, turnOnCanvas, unturn } from './turn.js';

const gray = (w: number, h: number, f: (x: number, y: number) => number): GrayImage => {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { data, width: w, height: h, channels: 1 };
};

describe('turnOnCanvas', () => {
  it('sizes the canvas to hold the turned image', () => {
    expect(turnedSize(40, 20, 0)).toEqual({ width: 40, height: 20 });
    expect(turnedSize(40, 20, 90)).toEqual({ width: 20, height: 40 });
    expect(turnedSize(40, 20, -90)).toEqual({ width: 20, height: 40 });
    // 45°: (40 + 20) / √2 each way.
    expect(turnedSize(40, 20, 45)).toEqual({ width: 43, height: 43 });
  });

  it('without a turn, centres the image on the canvas and fills the rest with the background', () => {
    const img = gray(4, 2, (x, y) => 10 * (y * 4 + x) + 5);
    const out = turnOnCanvas(img, 0, [200, 0, 0], { width: 8, height: 6 });
    expect([out.width, out.height]).toEqual([8, 6]);
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 8; x++) {
        const inside = x >= 2 && x < 6 && y >= 2 && y < 4;
        expect(out.data[y * 8 + x]).toBe(inside ? img.data[(y - 2) * 4 + (x - 2)] : 200);
      }
    }
  });

  it('turns clockwise: a quarter turn moves the top row to the right-hand column, in colour too', () => {
    const rgb: RgbImage = { data: Buffer.alloc(5 * 3 * 3, 0), width: 5, height: 3, channels: 3 };
    for (let x = 0; x < 5; x++) rgb.data[3 * x] = 255; // top row red
    const out = turnOnCanvas(rgb, 90, [0, 0, 255]);
    expect([out.width, out.height]).toEqual([3, 5]);
    for (let y = 0; y < 5; y++) {
      expect([...out.data.subarray(3 * (y * 3 + 2), 3 * (y * 3 + 2) + 3)]).toEqual([255, 0, 0]);
      expect(out.data[3 * (y * 3)]).toBe(0);
    }
  });

  it('unturn maps a canvas point back to where turnOnCanvas sampled it', () => {
    const img = gray(30, 20, (x, y) => (x * 7 + y * 3) % 256);
    const out = turnOnCanvas(img, 20, [0, 0, 0], { width: 50, height: 50 });
    const from = unturn(30, 20, 20, 50, 50);
    const [x, y] = from(24.5, 24.5); // the centres meet
    expect(x).toBeCloseTo(14.5, 6);
    expect(y).toBeCloseTo(9.5, 6);
    // A canvas pixel whose source is a whole pixel keeps its value (up to rounding of the bilinear weights).
    let checked = 0;
    for (let cy = 0; cy < 50; cy++) {
      for (let cx = 0; cx < 50; cx++) {
        const [sx, sy] = from(cx, cy);
        if (Math.abs(sx - Math.round(sx)) < 0.02 && Math.abs(sy - Math.round(sy)) < 0.02 && sx >= 0 && sy >= 0 && sx < 30 && sy < 20) {
          expect(Math.abs(out.data[cy * 50 + cx]! - img.data[Math.round(sy) * 30 + Math.round(sx)]!)).toBeLessThanOrEqual(3);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
