import { describe, expect, it } from 'vitest';
import type { RgbImage } from './types.js';
import { boxOverlap, cropImage, detectSubject, isolateSubject } from './subject.js';

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

/** A wooden table (two tints in wavy bands, a light gradient, grain) with a chequered product; `hole`: a patch of the table's colour inside it. */
function woodScene(w: number, h: number, box: { x: number; y: number; w: number; h: number }, hole?: { x: number; y: number; w: number; h: number }): RgbImage {
  const data = Buffer.alloc(w * h * 3);
  let n = 7;
  const grain = () => ((n = (n * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 12;
  const inBox = (b: { x: number; y: number; w: number; h: number } | undefined, x: number, y: number) => !!b && x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = (y * w + x) * 3;
    if (inBox(box, x, y) && !inBox(hole, x, y)) {
      const dark = ((x >> 4) + (y >> 4)) % 2 === 0;
      data[o] = dark ? 30 : 40; data[o + 1] = dark ? 60 : 200; data[o + 2] = dark ? 160 : 230;
      continue;
    }
    const t = 0.5 + 0.5 * Math.sin((y + 5 * Math.sin(x / 35)) / 9);
    const shade = (x / w) * 25 - (y / h) * 15 + grain();
    data[o] = 150 - 30 * t + shade; data[o + 1] = 110 - 25 * t + shade; data[o + 2] = 70 - 15 * t + shade;
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

  it('finds a product on a wooden table: two tints in bands, a gradient, grain', () => {
    const img = woodScene(640, 480, { x: 380, y: 150, w: 160, h: 200 });
    const b = detectSubject(img)!;
    expect(b.x * 640).toBeGreaterThan(350); expect(b.x * 640).toBeLessThan(385);
    expect((b.x + b.width) * 640).toBeGreaterThan(535); expect((b.x + b.width) * 640).toBeLessThan(575);
    expect(b.y * 480).toBeGreaterThan(120); expect((b.y + b.height) * 480).toBeLessThan(385);
  });

  it('cuts the subject out: the table around it white, the product and a hole of the table\'s colour inside it kept', () => {
    const img = woodScene(640, 480, { x: 200, y: 100, w: 240, h: 260 }, { x: 290, y: 200, w: 60, h: 60 });
    const s = isolateSubject(img)!;
    expect(s.box).toEqual(detectSubject(img));
    const { image } = s;
    const at = (x: number, y: number) => [...image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3)];
    const ox = Math.round(s.box.x * 640), oy = Math.round(s.box.y * 480);
    expect(at(0, 0)).toEqual([255, 255, 255]);
    expect(at(image.width - 1, image.height - 1)).toEqual([255, 255, 255]);
    // The product's pixels are the photo's own.
    const px = 260 - ox, py = 150 - oy;
    expect(at(px, py)).toEqual([...img.data.subarray((150 * 640 + 260) * 3, (150 * 640 + 260) * 3 + 3)]);
    // The hole (table-coloured, inside the product's outline) is not painted.
    expect(at(320 - ox, 230 - oy)).not.toEqual([255, 255, 255]);
    expect(isolateSubject(scene(200, 200, { x: 0, y: 0, w: 0, h: 0 }))).toBeNull();
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
