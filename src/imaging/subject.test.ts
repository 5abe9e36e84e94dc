import { describe, expect, it } from 'vitest';
import type { RgbImage } from './types.js';
import { boxOverlap, cropImage, detectSubject } from './subject.js';

function scene(w: number, h: number, box: { x: number; y: number; w: number; h: number }): RgbImage {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = (y * w + x) * 3;
    const inside = x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h;
    const v = inside ? ((x >> 3) + (y >> 3)) % 2 ? 20 : 230 : 180 + ((x * 7 + y * 3) % 9);
    data[o] = inside ? v : 120; data[o + 1] = inside ? 40 : v; data[o + 2] = inside ? v : 90;
  }
  return { data, width: w, height: h, channels: 3 };
}

describe('main-subject detection', () => {
  it('finds a product on a plain background, fast', () => {
    const img = scene(640, 480, { x: 200, y: 100, w: 240, h: 260 });
    const t = performance.now();
    const b = detectSubject(img)!;
    expect(performance.now() - t).toBeLessThan(30);
    expect(b.x * 640).toBeGreaterThan(170); expect(b.x * 640).toBeLessThan(215);
    expect((b.x + b.width) * 640).toBeGreaterThan(425); expect((b.x + b.width) * 640).toBeLessThan(470);
    expect(b.y * 480).toBeGreaterThan(70); expect((b.y + b.height) * 480).toBeLessThan(390);
  });

  it('returns null for a uniform image and for a subject that fills the frame', () => {
    expect(detectSubject(scene(200, 200, { x: 0, y: 0, w: 0, h: 0 }))).toBeNull();
    expect(detectSubject(scene(200, 200, { x: 0, y: 0, w: 200, h: 200 }))).toBeNull();
  });

  it('crops exactly the requested pixels, clamped to the image', () => {
    const img = scene(50, 40, { x: 10, y: 10, w: 5, h: 5 });
    const c = cropImage(img, { x: 10, y: 10, width: 5, height: 5 });
    expect([c.width, c.height]).toEqual([5, 5]);
    expect(c.data.subarray(0, 3).equals(img.data.subarray((10 * 50 + 10) * 3, (10 * 50 + 10) * 3 + 3))).toBe(true);
    const d = cropImage(img, { x: 45, y: 35, width: 20, height: 20 });
    expect([d.width, d.height]).toEqual([5, 5]);
  });
});

describe('boxOverlap', () => {
  it('is the share of the smaller box inside the other, 0 when they do not meet', () => {
    const big = { x: 0, y: 0, width: 1, height: 1 };
    expect(boxOverlap(big, { x: 0.5, y: 0.5, width: 0.2, height: 0.2 })).toBeCloseTo(1);
    expect(boxOverlap({ x: 0, y: 0, width: 0.5, height: 0.5 }, { x: 0.25, y: 0, width: 0.5, height: 0.5 })).toBeCloseTo(0.5);
    expect(boxOverlap(big, { x: 1, y: 0, width: 0.5, height: 0.5 })).toBe(0);
  });
});
