import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import { decodeImage } from './decode.js';
import { encodeJpeg } from './encode.js';
import { enhanceContrast, grayToRgb, medianDenoise, normalizeSize, resize, toGray } from './preprocess.js';
import type { GrayImage } from './types.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/images');
const load = async (name: string) => decodeImage(await readFile(join(FIXTURES, name)));

function gray(width: number, height: number, f: (x: number, y: number) => number): GrayImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { data, width, height, channels: 1 };
}

function stdDev(d: Uint8Array): number {
  let s = 0, s2 = 0;
  for (const v of d) { s += v; s2 += v * v; }
  const m = s / d.length;
  return Math.sqrt(s2 / d.length - m * m);
}

describe('toGray / grayToRgb', () => {
  it('solid red has BT.601 luma 76', async () => {
    const g = toGray(await load('solid-red.png'));
    expect(g.channels).toBe(1);
    expect(g.data.length).toBe(32 * 32);
    expect(new Set(g.data)).toEqual(new Set([76]));
  });

  it('white stays 255, black stays 0, and grey round-trips through RGB', async () => {
    const g = toGray(await load('checkerboard.png'));
    expect(new Set(g.data)).toEqual(new Set([0, 255]));
    expect(toGray(grayToRgb(g)).data).toEqual(g.data);
  });
});

describe('resize / normalizeSize', () => {
  it('fill stretches to the exact size', async () => {
    const r = await resize(await load('gradient.jpg'), 20, 20, 'fill');
    expect([r.width, r.height, r.channels, r.data.length]).toEqual([20, 20, 3, 1200]);
  });

  it('contain pads with white and keeps the content centred', async () => {
    const red = await load('solid-red.png');
    const wide = await resize(red, 32, 8, 'fill');
    const sq = await normalizeSize(wide, 32);
    expect([sq.width, sq.height]).toEqual([32, 32]);
    const at = (x: number, y: number) => [...sq.data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)];
    expect(at(16, 1)).toEqual([255, 255, 255]);
    expect(at(16, 16)).toEqual([255, 0, 0]);
  });

  it('works on grey images and does not mutate the input', async () => {
    const g = gray(10, 10, (x) => x * 20);
    const before = new Uint8Array(g.data);
    const r = await resize(g, 5, 5);
    expect([r.width, r.height, r.channels, r.data.length]).toEqual([5, 5, 1, 25]);
    expect(g.data).toEqual(before);
    const flat = await resize(gray(10, 10, () => 137), 4, 4);
    expect(new Set(flat.data)).toEqual(new Set([137]));
  });
});

describe('medianDenoise', () => {
  it('removes salt noise from a flat image', async () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 1000) / 1000;
    const noisy = gray(64, 64, () => (rnd() < 0.05 ? 255 : 100));
    const salted = noisy.data.filter((v) => v === 255).length;
    expect(salted).toBeGreaterThan(100);
    const clean = await medianDenoise(noisy, 3);
    const left = clean.data.filter((v) => v !== 100).length;
    expect(left).toBeLessThan(salted / 20);
  });

  it('keeps the edges of a checkerboard', async () => {
    const g = toGray(await load('checkerboard.png'));
    const m = await medianDenoise(g);
    const changed = m.data.filter((v, i) => v !== g.data[i]).length;
    expect(changed).toBeLessThan(g.data.length * 0.1);
  });

  it('rejects even sizes', () => {
    expect(() => medianDenoise(gray(4, 4, () => 0), 4)).toThrow(AppError);
  });
});

describe('enhanceContrast (CLAHE)', () => {
  it('raises the contrast of a low-contrast gradient, more so with a higher clip limit', async () => {
    const flat = gray(64, 64, (x, y) => 110 + Math.round(((x + y) / 126) * 30));
    const range = (d: Uint8Array) => Math.max(...d) - Math.min(...d);
    expect(range(flat.data)).toBe(30);
    const out = await enhanceContrast(flat);
    expect([out.width, out.height, out.channels]).toEqual([64, 64, 1]);
    expect(stdDev(out.data)).toBeGreaterThan(stdDev(flat.data) * 1.15);
    expect(range(out.data)).toBeGreaterThan(45);
    const strong = await enhanceContrast(flat, { window: 16, maxSlope: 0 });
    expect(stdDev(strong.data)).toBeGreaterThan(stdDev(flat.data) * 3);
    expect(range(strong.data)).toBeGreaterThan(200);
  });

  it('works on RGB', async () => {
    const out = await enhanceContrast(await load('gradient.jpg'));
    expect([out.width, out.height, out.channels]).toEqual([96, 64, 3]);
  });
});

describe('encodeJpeg', () => {
  it('re-encodes decoded pixels so that they decode back close to the original', async () => {
    const img = await load('gradient.jpg');
    const back = await decodeImage(await encodeJpeg(img, { quality: 90 }));
    expect([back.width, back.height]).toEqual([img.width, img.height]);
    let err = 0;
    for (let i = 0; i < img.data.length; i++) err += Math.abs(img.data[i]! - back.data[i]!);
    expect(err / img.data.length).toBeLessThan(4);
  });
});
