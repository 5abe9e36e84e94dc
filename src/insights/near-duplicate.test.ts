import { describe, expect, it } from 'vitest';
import { seededRandom } from '../eval/random.js';
import { resample, type RgbImage } from '../imaging/index.js';
import { cropImage } from '../imaging/subject.js';
import { compareAligned, comparePair, frameAlignment, prepareImage } from './near-duplicate.js';

/** Seeded coloured rectangles (plenty of corners for ORB) on white, or on a gradient (no plain background). */
function picture(seed: number, side = 320, background: 'white' | 'gradient' = 'white'): RgbImage {
  const rand = seededRandom(seed);
  const data = Buffer.alloc(side * side * 3, 255);
  if (background === 'gradient') for (let i = 0; i < side * side; i++) data[i * 3] = Math.floor((i % side) / side * 255);
  for (let r = 0; r < 40; r++) {
    const w = 10 + Math.floor(rand() * 50), h = 10 + Math.floor(rand() * 50);
    const x0 = 20 + Math.floor(rand() * (side - 40 - w)), y0 = 20 + Math.floor(rand() * (side - 40 - h));
    const color = [Math.floor(rand() * 200), Math.floor(rand() * 200), Math.floor(rand() * 200)];
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) for (let c = 0; c < 3; c++) data[(y * side + x) * 3 + c] = color[c]!;
  }
  return { data, width: side, height: side, channels: 3 };
}

function paint(img: RgbImage, x0: number, y0: number, size: number, color: [number, number, number]): RgbImage {
  const data = Buffer.from(img.data);
  for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) for (let c = 0; c < 3; c++) data[(y * img.width + x) * 3 + c] = color[c]!;
  return { ...img, data };
}

describe('near-duplicate pair check', () => {
  const original = picture(7);

  it('an identical or resized copy has no differing cell on the whole-frame alignment', async () => {
    const a = prepareImage(original);
    expect(compareAligned(a, prepareImage(original), frameAlignment(a, a))).toMatchObject({ differing: 0, meanDifference: 0, overlap: 1 });
    expect(a.content).toEqual({ x0: expect.any(Number), y0: expect.any(Number), x1: expect.any(Number), y1: expect.any(Number) });
    const c = await comparePair(a, prepareImage(resample(original, 200, 200)));
    expect(c.differing).toBe(0);
    expect(c.alignment.source).toBe('frame');
  });

  it('a 5 % crop of a product on white is aligned by its content box', async () => {
    const crop = cropImage(original, { x: 12, y: 4, width: 304, height: 304 });
    const c = await comparePair(prepareImage(original), prepareImage(crop));
    expect(c.alignment.source).toBe('content');
    expect(c.alignment.tx).toBeCloseTo(12, 0);
    expect(c.differing).toBe(0);
  });

  it('a 5 % crop of a full-frame picture is aligned by local features and matches', async () => {
    const full = picture(7, 320, 'gradient');
    expect(prepareImage(full).content).toBeNull();
    const crop = cropImage(full, { x: 12, y: 4, width: 304, height: 304 });
    const c = await comparePair(prepareImage(full), prepareImage(crop));
    expect(c.alignment.source).toBe('ransac');
    expect(c.alignment.sx).toBeCloseTo(1, 1);
    expect(c.alignment.tx).toBeCloseTo(12, 0);
    expect(c.differing).toBe(0);
    expect(c.overlap).toBeGreaterThan(0.85);
    expect(c.overlap).toBeLessThan(0.95);
  });

  it('a distinct look-alike (one 30 px mark changed) and a colour variant differ', async () => {
    const a = prepareImage(original);
    const marked = await comparePair(a, prepareImage(paint(original, 140, 140, 30, [0, 0, 0])));
    expect(marked.differing).toBeGreaterThan(0.003);
    expect(marked.differing).toBeLessThan(0.05);
    const swapped: RgbImage = { ...original, data: Buffer.from(original.data.map((v, i) => (i % 3 === 0 && v < 255 ? 255 - v : v))) };
    expect((await comparePair(a, prepareImage(swapped))).differing).toBeGreaterThan(0.1);
  });

  it('another picture does not match', async () => {
    expect((await comparePair(prepareImage(original), prepareImage(picture(8)))).differing).toBeGreaterThan(0.1);
  });
});
