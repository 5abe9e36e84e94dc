import { describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import { fitSquare, resample } from './resample.js';
import type { GrayImage, RgbImage } from './types.js';

function rgb(width: number, height: number, f: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 3);
  return { data, width, height, channels: 3 };
}

const mean = (d: Uint8Array) => d.reduce((s, v) => s + v, 0) / d.length;

describe('resample', () => {
  it.each([[512, 384, 128, 96], [512, 384, 200, 150], [28, 28, 128, 128], [100, 60, 33, 77]])(
    '%i×%i → %i×%i keeps a constant image constant',
    (w, h, ow, oh) => {
      const out = resample(rgb(w, h, () => [200, 100, 7]), ow, oh);
      expect([out.width, out.height, out.channels, out.data.length]).toEqual([ow, oh, 3, ow * oh * 3]);
      const wrong = [...out.data].filter((v, i) => v !== [200, 100, 7][i % 3]).length;
      expect(wrong).toBe(0);
    },
  );

  it('averages when shrinking: a 1-px checkerboard becomes mid-grey, not aliased stripes', () => {
    const g: GrayImage = { data: new Uint8Array(64 * 64), width: 64, height: 64, channels: 1 };
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) g.data[y * 64 + x] = (x + y) % 2 ? 255 : 0;
    for (const side of [32, 16, 21]) {
      const out = resample(g, side, side);
      expect(Math.max(...out.data) - Math.min(...out.data), `side ${side}`).toBeLessThan(40);
      expect(Math.abs(mean(out.data) - 127.5)).toBeLessThan(4);
    }
  });

  it('keeps a horizontal ramp monotonic and its mean when enlarging and shrinking', () => {
    const ramp = rgb(50, 10, (x) => [x * 5, x * 5, x * 5]);
    for (const w of [25, 120]) {
      const out = resample(ramp, w, 10);
      for (let x = 1; x < w; x++) expect(out.data[x * 3]!).toBeGreaterThanOrEqual(out.data[(x - 1) * 3]!);
      expect(Math.abs(mean(out.data) - mean(ramp.data))).toBeLessThan(3);
    }
  });

  it('is deterministic and does not mutate its input', () => {
    const img = rgb(37, 23, (x, y) => [(x * 7) % 256, (y * 11) % 256, (x * y) % 256]);
    const before = Buffer.from(img.data);
    expect(resample(img, 12, 9).data).toEqual(resample(img, 12, 9).data);
    expect(img.data).toEqual(before);
  });

  it('rejects non-positive sizes', () => {
    expect(() => resample(rgb(4, 4, () => [0, 0, 0]), 0, 4)).toThrow(AppError);
  });
});

describe('fitSquare', () => {
  it('keeps the aspect ratio and pads with white, content centred', () => {
    const wide = rgb(200, 100, () => [255, 0, 0]);
    const sq = fitSquare(wide, 64);
    expect([sq.width, sq.height]).toEqual([64, 64]);
    const at = (x: number, y: number) => [...sq.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)];
    expect(at(32, 2)).toEqual([255, 255, 255]);
    expect(at(32, 61)).toEqual([255, 255, 255]);
    expect(at(32, 32)).toEqual([255, 0, 0]);
    expect(at(1, 32)).toEqual([255, 0, 0]);
  });

  it('works on grey images', () => {
    const g: GrayImage = { data: new Uint8Array(30 * 60).fill(10), width: 30, height: 60, channels: 1 };
    const sq = fitSquare(g, 32);
    expect([sq.width, sq.height, sq.channels]).toEqual([32, 32, 1]);
    expect(sq.data[16 * 32 + 0]).toBe(255);
    expect(sq.data[16 * 32 + 16]).toBe(10);
  });
});
