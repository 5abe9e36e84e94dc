import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../eval/random.js';
import type { RgbImage } from '../../imaging/types.js';
import { appearanceAgreement, closerPlacement } from './appearance.js';
import { appearanceEvidence, appearanceFactor } from './evidence.js';

function blank(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { data, width, height, channels: 3 };
}

/** Random filled rectangles, discs and bars in [x0, x1) × [y0, y1): clip art with corners and edges. */
function drawShapes(img: RgbImage, x0: number, y0: number, x1: number, y1: number, seed: number, n: number): void {
  const r = seededRandom(seed);
  for (let s = 0; s < n; s++) {
    const colour = [Math.floor(r() * 200), Math.floor(r() * 200), Math.floor(r() * 200)];
    const cx = x0 + r() * (x1 - x0), cy = y0 + r() * (y1 - y0);
    const w = 6 + r() * (x1 - x0) * 0.25, h = 6 + r() * (y1 - y0) * 0.25;
    const kind = Math.floor(r() * 3);
    for (let y = Math.max(y0, Math.floor(cy - h)); y < Math.min(y1, cy + h); y++) {
      for (let x = Math.max(x0, Math.floor(cx - w)); x < Math.min(x1, cx + w); x++) {
        const dx = (x - cx) / w, dy = (y - cy) / h;
        const inside = kind === 0 ? Math.abs(dx) < 0.6 && Math.abs(dy) < 0.6 : kind === 1 ? dx * dx + dy * dy < 0.5 : Math.abs(dx - dy) < 0.12;
        if (inside) img.data.set(colour, (y * img.width + x) * 3);
      }
    }
  }
}

/** A noisy tinted table, like the lookup benchmark's photos. */
function table(width: number, height: number, seed: number): RgbImage {
  const r = seededRandom(seed);
  const img = blank(width, height, [0, 0, 0]);
  for (let i = 0; i < width * height; i++) {
    const shade = (i % width) / 8 + (r() - 0.5) * 20;
    img.data.set([140 + shade, 120 + shade, 90 + shade].map((v) => Math.max(0, Math.min(255, Math.round(v)))), i * 3);
  }
  return img;
}

/** Copies the catalog's non-white pixels into the photo at (ox, oy), mapped by `tone` (a light/colour shift). */
function paste(photo: RgbImage, catalog: RgbImage, ox: number, oy: number, part: { x0: number; y0: number; x1: number; y1: number }, tone = (c: number[]) => c): void {
  for (let y = part.y0; y < part.y1; y++) for (let x = part.x0; x < part.x1; x++) {
    const o = (y * catalog.width + x) * 3;
    const c = [catalog.data[o]!, catalog.data[o + 1]!, catalog.data[o + 2]!];
    if (c.every((v) => v === 255)) continue;
    photo.data.set(tone(c).map((v) => Math.max(0, Math.min(255, Math.round(v)))), ((y + oy) * photo.width + x + ox) * 3);
  }
}

describe('appearanceAgreement (pixel-level check of a geometric match)', () => {
  const catalog = blank(256, 256, [255, 255, 255]);
  drawShapes(catalog, 28, 28, 228, 228, 7, 40);
  const frame = { width: 256, height: 256 };
  const ox = 150, oy = 60;
  const at = Float64Array.from([1, 0, ox, 0, 1, oy, 0, 0, 1]);
  const whole = { x0: 0, y0: 0, x1: 256, y1: 256 };

  it('is high when the whole catalog product is in the photo', async () => {
    const photo = table(560, 400, 1);
    paste(photo, catalog, ox, oy, whole);
    const a = await appearanceAgreement(photo, catalog, at, frame);
    expect(a).not.toBeNull();
    expect(a!.cells).toBeGreaterThan(30);
    expect(a!.agreement).toBeGreaterThan(0.8);
    expect(appearanceFactor(a!.agreement)).toBe(1);
  });

  it('stays high for a light- and colour-shifted copy, and for catalog pixels stored at another size', async () => {
    const photo = table(560, 400, 2);
    // Darker, channels swapped and scaled (contrast against the table may even invert).
    paste(photo, catalog, ox, oy, whole, ([r, g, b]) => [0.6 * b! + 30, 0.8 * r! - 10, 0.5 * g! + 60]);
    const a = await appearanceAgreement(photo, catalog, at, frame);
    expect(a!.agreement).toBeGreaterThan(0.7);
    // The homography is in the feature frame (256 px); the stored pixels may be larger.
    const big = blank(512, 512, [255, 255, 255]);
    for (let y = 0; y < 512; y++) for (let x = 0; x < 512; x++) big.data.set(catalog.data.subarray(((y >> 1) * 256 + (x >> 1)) * 3, ((y >> 1) * 256 + (x >> 1)) * 3 + 3), (y * 512 + x) * 3);
    expect((await appearanceAgreement(photo, big, at, frame))!.agreement).toBeGreaterThan(0.7);
  });

  it('is low when only a part of the product is there, next to unrelated content', async () => {
    const photo = table(560, 400, 3);
    // The top-left quarter of the product, and other clip art where the rest should be.
    drawShapes(photo, ox + 28, oy + 28, ox + 228, oy + 228, 99, 40);
    for (let y = oy + 20; y < oy + 130; y++) for (let x = ox + 20; x < ox + 130; x++) photo.data.set([150, 128, 100], (y * photo.width + x) * 3);
    paste(photo, catalog, ox, oy, { x0: 0, y0: 0, x1: 128, y1: 128 });
    const a = await appearanceAgreement(photo, catalog, at, frame);
    expect(a!.agreement).toBeLessThan(0.45);
    expect(appearanceFactor(a!.agreement)).toBe(0);
    // Nothing of the product at all: no agreement.
    const other = table(560, 400, 4);
    drawShapes(other, ox + 28, oy + 28, ox + 228, oy + 228, 99, 40);
    expect((await appearanceAgreement(other, catalog, at, frame))!.agreement).toBeLessThan(0.35);
  });

  it('declines to judge a footprint too small or outside the photo', async () => {
    const photo = table(560, 400, 5);
    const tiny = Float64Array.from([0.02, 0, 10, 0, 0.02, 10, 0, 0, 1]);
    expect(await appearanceAgreement(photo, catalog, tiny, frame)).toBeNull();
    const outside = Float64Array.from([1, 0, 2000, 0, 1, 2000, 0, 0, 1]);
    expect(await appearanceAgreement(photo, catalog, outside, frame)).toBeNull();
  });
});

describe('closerPlacement (which of two variants at one place the photo shows)', () => {
  // A circle, and the same circle with a cross in it: one product line, two drawings.
  const circle = (cross: boolean): RgbImage => {
    const img = blank(256, 256, [255, 255, 255]);
    for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) {
      const r = Math.hypot(x - 128, y - 128);
      const ring = r > 88 && r < 100;
      const bar = cross && r < 92 && (Math.abs(x - 128) < 5 || Math.abs(y - 128) < 5);
      if (ring || bar) img.data.set([20, 20, 20], (y * 256 + x) * 3);
    }
    return img;
  };
  const plain = circle(false), crossed = circle(true);
  const frame = { width: 256, height: 256 };
  // Turned 12° and scaled 0.8 into the photo.
  const t = (12 * Math.PI) / 180, k = 0.8;
  const at = Float64Array.from([k * Math.cos(t), -k * Math.sin(t), 200, k * Math.sin(t), k * Math.cos(t), 60, 0, 0, 1]);
  const photoOf = (catalog: RgbImage, seed: number): RgbImage => {
    const photo = table(560, 400, seed);
    for (let y = 0; y < 400; y++) for (let x = 0; x < 560; x++) {
      // Inverse of the placement: the catalogue pixel each photo pixel shows (white stays the table: transparent).
      const dx = x - 200, dy = y - 60;
      const u = Math.round((Math.cos(t) * dx + Math.sin(t) * dy) / k), v = Math.round((-Math.sin(t) * dx + Math.cos(t) * dy) / k);
      if (u < 0 || v < 0 || u >= 256 || v >= 256) continue;
      const o = (v * 256 + u) * 3;
      if (catalog.data[o]! < 128) photo.data.set([40, 30, 60], (y * 560 + x) * 3);
    }
    return photo;
  };

  it('prefers the drawing whose extra part the photo shows, and the one without where it does not', async () => {
    const showsCross = await closerPlacement(photoOf(crossed, 11), { catalog: plain, homography: at, frame }, { catalog: crossed, homography: at, frame });
    expect(showsCross!.b).toBeGreaterThan(showsCross!.a + 0.1);
    const showsPlain = await closerPlacement(photoOf(plain, 12), { catalog: plain, homography: at, frame }, { catalog: crossed, homography: at, frame });
    expect(showsPlain!.a).toBeGreaterThan(showsPlain!.b + 0.1);
  });

  it('scores one drawing against itself alike, and declines a footprint outside the photo', async () => {
    const same = await closerPlacement(photoOf(crossed, 13), { catalog: crossed, homography: at, frame }, { catalog: crossed, homography: at, frame });
    expect(same!.a).toBeCloseTo(same!.b, 6);
    expect(same!.a).toBeGreaterThan(0.6);
    const outside = Float64Array.from([1, 0, 2000, 0, 1, 2000, 0, 0, 1]);
    expect(await closerPlacement(photoOf(crossed, 13), { catalog: crossed, homography: outside, frame }, { catalog: plain, homography: outside, frame })).toBeNull();
  });
});

describe('evidence after the pixel check', () => {
  const exact = 20;
  it('keeps a confirmed match, and an unconfirmed one just under the exact threshold', () => {
    expect(appearanceEvidence(60, 0.9, exact)).toBe(60);
    expect(appearanceEvidence(60, 0.72, exact)).toBeGreaterThanOrEqual(exact - 1);
    expect(appearanceEvidence(25, 0.72, exact)).toBe(exact - 1);
  });

  it('leaves a contradicted match only its discounted evidence, never exact', () => {
    // A clutter sign sharing a catalog sign's comb and scissors: many inliers, pixels disagree.
    expect(appearanceEvidence(38, 0.49, exact)).toBe(0);
    expect(appearanceEvidence(60, 0.65, exact)).toBeLessThan(exact);
    // ...so a weaker true match (16 inliers, not checked) now ranks above it.
    expect(appearanceEvidence(38, 0.6, exact)).toBeLessThan(16);
  });
});
