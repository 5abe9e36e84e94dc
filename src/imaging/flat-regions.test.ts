import { describe, expect, it } from 'vitest';
import { flagImage, stripes } from '../../test/factories/flags.js';
import { findBackdrop } from './backdrop.js';
import { centredRectangle, flatRectangles, minAreaRect, productRectangle, rectangleLayout, regionShapes, type TurnedRect } from './flat-regions.js';
import { decodeImage, encodeJpeg, medianDenoise } from './index.js';

const MALI = stripes([[20, 160, 60], [250, 210, 20], [210, 30, 40]], true);
const TRICOLOUR = stripes([[0, 114, 206], [0, 0, 0], [20, 160, 60]]);

/** The rectangle of `rects` closest to the expected one (centre, sides, turn), with its distance. */
function closest(rects: TurnedRect[], want: TurnedRect): { rect: TurnedRect; off: number } | null {
  let best: { rect: TurnedRect; off: number } | null = null;
  for (const rect of rects) {
    const off = Math.hypot(rect.cx - want.cx, rect.cy - want.cy) + Math.abs(rect.width - want.width) + Math.abs(rect.height - want.height);
    if (!best || off < best.off) best = { rect, off };
  }
  return best;
}

describe('minAreaRect', () => {
  it('recovers a turned rectangle from its pixels, with its width side the one closest to horizontal', () => {
    const pts: [number, number][] = [];
    const c = Math.cos(0.35), s = Math.sin(0.35);
    for (let v = -20; v <= 20; v += 0.5) for (let u = -40; u <= 40; u += 0.5) pts.push([Math.round(100 + u * c - v * s), Math.round(80 + u * s + v * c)]);
    const r = minAreaRect(pts);
    expect(r.cx).toBeCloseTo(100, 0);
    expect(r.cy).toBeCloseTo(80, 0);
    expect(r.width).toBeGreaterThan(78);
    expect(r.width).toBeLessThan(85);
    expect(r.height).toBeGreaterThan(38);
    expect(r.height).toBeLessThan(45);
    expect(r.angle).toBeCloseTo(0.35, 1);
    // The same rectangle stood on end is 41 wide and 81 high, turned the other way.
    const upright = minAreaRect(pts.map(([x, y]) => [y, x] as [number, number]));
    expect(upright.height).toBeGreaterThan(78);
    expect(Math.abs(upright.angle)).toBeLessThanOrEqual(Math.PI / 4);
  });
});

describe('flatRectangles', () => {
  it("finds a turned flag of plain stripes on a cluttered table, after blur and JPEG, from its stripes", async () => {
    const at = { cx: 170, cy: 120, width: 150, height: 100, turn: 20 };
    const photo = await medianDenoise(await decodeImage(await encodeJpeg(flagImage(320, 240, MALI, at, 'table', 3), { quality: 40 })), 3);
    const found = closest(flatRectangles(photo), { cx: at.cx, cy: at.cy, width: at.width, height: at.height, angle: 0 });
    expect(found).not.toBeNull();
    expect(found!.off).toBeLessThan(12);
    expect((found!.rect.angle * 180) / Math.PI).toBeCloseTo(20, -1);
  });

  it('takes flat discs for no rectangle', () => {
    const disc = (cx: number, cy: number) => flagImage(320, 240, (u, v) => ((u - 0.5) ** 2 + (v - 0.5) ** 2 < 0.25 ? [200, 40, 40] : [40, 40, 200]), { cx, cy, width: 120, height: 120, turn: 0 }, 'white');
    // A red disc on a blue square is found as the square (framed by it), never as the disc itself.
    for (const r of flatRectangles(disc(150, 120))) expect(Math.max(r.width, r.height)).toBeGreaterThan(110);
    // Without the square, nothing but the white frame around it.
    const bare = flagImage(320, 240, (u, v) => ((u - 0.5) ** 2 + (v - 0.5) ** 2 < 0.25 ? [200, 40, 40] : [255, 255, 255]), { cx: 150, cy: 120, width: 120, height: 120, turn: 0 }, 'white');
    for (const r of flatRectangles(bare)) expect(r.width * r.height).toBeGreaterThan(0.9 * 320 * 240);
  });
});

describe('productRectangle and rectangleLayout', () => {
  it('takes the rectangle of a flag on a white backdrop, and none for a disc', () => {
    const img = flagImage(240, 240, MALI, { cx: 120, cy: 120, width: 210, height: 140, turn: 0 }, 'white');
    const rect = productRectangle(img, findBackdrop(img).mask)!;
    expect(rect.width / rect.height).toBeCloseTo(1.5, 1);
    const disc = flagImage(240, 240, (u, v) => ((u - 0.5) ** 2 + (v - 0.5) ** 2 < 0.25 ? [200, 30, 30] : [255, 255, 255]), { cx: 120, cy: 120, width: 200, height: 200, turn: 0 }, 'white');
    expect(productRectangle(disc, findBackdrop(disc).mask)).toBeNull();
  });

  it("takes the whole flag when its white stripe runs to the image's edge and joins the backdrop", () => {
    // Red, white and black, spanning the image's width as a catalogue image fitted to its frame.
    const yemen = flagImage(300, 300, stripes([[200, 20, 40], [255, 255, 255], [0, 0, 0]]), { cx: 150, cy: 150, width: 300, height: 200, turn: 0 }, 'white');
    const backdrop = findBackdrop(yemen).mask;
    expect(backdrop[150 * 300 + 2]).toBe(1); // the white stripe's end is backdrop
    const rect = productRectangle(yemen, backdrop)!;
    expect(rect.width).toBeGreaterThan(290);
    expect(rect.height).toBeGreaterThan(190);
    expect(rect.height).toBeLessThan(205);
    // The red and black stripes alone fill two thirds of it: not a rectangle without the hull rule.
    expect(productRectangle(yemen, backdrop, 0.9, 1.01)).toBeNull();
  });

  it("grows a rectangle over its product's part in the backdrop's colour until it is centred (Monaco: red over white)", () => {
    const monaco = flagImage(300, 300, stripes([[210, 20, 40], [255, 255, 255]]), { cx: 150, cy: 150, width: 240, height: 160, turn: 0 }, 'white');
    const backdrop = findBackdrop(monaco).mask;
    const red = productRectangle(monaco, backdrop)!;
    expect(red.height).toBeLessThan(85); // the red half only
    const whole = centredRectangle(backdrop, 300, 300, red)!;
    expect(whole.cy).toBeCloseTo(149.5, 0);
    expect(whole.height).toBeGreaterThan(155);
    expect(whole.height).toBeLessThan(165);
    expect(whole.width).toBeCloseTo(red.width, 5);
    // Its layout: red on top, white below.
    const layout = rectangleLayout(monaco, whole, 12);
    expect(layout[0]).toBeGreaterThan(180);
    expect(layout[1]).toBeLessThan(60);
    expect(Array.from(layout.subarray(3 * 12 * 11, 3 * 12 * 11 + 3)).every((c) => c > 240)).toBe(true);
    // Mirrored (white over red) it grows upward.
    const flipped = flagImage(300, 300, stripes([[255, 255, 255], [210, 20, 40]]), { cx: 150, cy: 150, width: 240, height: 160, turn: 0 }, 'white');
    const fb = findBackdrop(flipped).mask;
    expect(centredRectangle(fb, 300, 300, productRectangle(flipped, fb)!)!.height).toBeGreaterThan(155);
  });

  it('grows no rectangle that is centred already, off-centre both ways, turned, or would cover anything but backdrop', () => {
    const red = stripes([[210, 20, 40]]);
    const at = (cx: number, cy: number, turn = 0) => {
      const img = flagImage(300, 300, red, { cx, cy, width: 120, height: 80, turn }, 'white');
      const backdrop = findBackdrop(img).mask;
      return centredRectangle(backdrop, 300, 300, productRectangle(img, backdrop)!);
    };
    expect(at(150, 150)).toBeNull();
    expect(at(100, 90)).toBeNull();
    expect(at(150, 100, 20)).toBeNull();
    expect(at(150, 100)).not.toBeNull();
    // A blue dot where the grown part would lie.
    const dotted = flagImage(300, 300, red, { cx: 150, cy: 100, width: 120, height: 80, turn: 0 }, 'white');
    for (let y = 170; y < 200; y++) for (let x = 135; x < 165; x++) dotted.data.set([20, 40, 220], 3 * (y * 300 + x));
    const clean = flagImage(300, 300, red, { cx: 150, cy: 100, width: 120, height: 80, turn: 0 }, 'white');
    const rect = productRectangle(clean, findBackdrop(clean).mask)!;
    expect(centredRectangle(findBackdrop(clean).mask, 300, 300, rect)).not.toBeNull();
    expect(centredRectangle(findBackdrop(dotted).mask, 300, 300, rect)).toBeNull();
  });

  it('reads the stripes in order, the same way in a turned copy', () => {
    const flat = flagImage(240, 240, TRICOLOUR, { cx: 120, cy: 120, width: 210, height: 140, turn: 0 }, 'white');
    const turned = flagImage(240, 240, TRICOLOUR, { cx: 120, cy: 120, width: 180, height: 120, turn: -25 }, 'table');
    const a = rectangleLayout(flat, productRectangle(flat, findBackdrop(flat).mask)!, 12);
    const want = { cx: 120, cy: 120, width: 180, height: 120, angle: (-25 * Math.PI) / 180 };
    const b = rectangleLayout(turned, want, 12);
    // Top row blue, middle rows black, bottom row green, in both.
    for (const layout of [a, b]) {
      expect(Array.from(layout.subarray(0, 3))).toEqual([0, 114, 206]);
      expect(Array.from(layout.subarray(3 * 12 * 6, 3 * 12 * 6 + 3))).toEqual([0, 0, 0]);
      expect(Array.from(layout.subarray(3 * 12 * 11, 3 * 12 * 11 + 3))).toEqual([20, 160, 60]);
    }
  });
});

describe('regionShapes', () => {
  it("gives a region's area, centre, axis, elongation, spread and colour, whatever its size", () => {
    const oval = (u: number, v: number) => (((u - 0.5) / 0.5) ** 2 + ((v - 0.5) / 0.25) ** 2 < 1 ? ([200, 40, 40] as const) : null);
    const round = (u: number, v: number) => (Math.hypot(u - 0.5, v - 0.5) < 0.5 ? ([30, 60, 200] as const) : null);
    for (const size of [80, 160]) {
      const img = flagImage(320, 240, oval, { cx: 150, cy: 120, width: size, height: size, turn: 30 }, 'white');
      const r = regionShapes(img, 26, 50).regions.find((x) => x.colour[0] > 150 && x.colour[1] < 100)!;
      expect(r.area).toBeCloseTo((Math.PI * size * size) / 8, -2);
      // Pixel (x, y) covers [x, x + 1): its centre is x + 0.5 in the drawing's coordinates.
      expect(r.cx + 0.5).toBeCloseTo(150, 0);
      expect(r.cy + 0.5).toBeCloseTo(120, 0);
      expect(r.elongation).toBeCloseTo(2, 1);
      // Turned 30° clockwise on screen: its long axis points 30° below the x axis (y grows downwards).
      expect((r.theta * 180) / Math.PI).toBeCloseTo(30, 0);
      // A 2:1 ellipse spreads (1 + 1/4)/(4π·1/2) = 0.199 against a disc's 1/(2π) = 0.159.
      expect(r.spread).toBeCloseTo(0.199, 2);
      const disc = regionShapes(flagImage(320, 240, round, { cx: 160, cy: 120, width: size, height: size, turn: 0 }, 'white'), 26, 50).regions.find((x) => x.colour[2] > 150 && x.colour[0] < 100)!;
      expect(disc.elongation).toBeLessThan(1.1);
      expect(disc.spread).toBeCloseTo(1 / (2 * Math.PI), 2);
    }
  });

  it('keeps only the regions mostly inside a mask, with `inside`', () => {
    const img = flagImage(320, 240, MALI, { cx: 160, cy: 120, width: 180, height: 120, turn: 0 }, 'white');
    const backdrop = findBackdrop(img).mask;
    const all = regionShapes(img, 26, 50).regions;
    const product = regionShapes(img, 26, 50, (p) => !backdrop[p]).regions;
    expect(all).toHaveLength(4);
    expect(product).toHaveLength(3);
    expect(product.every((r) => r.area === 60 * 120)).toBe(true);
  });
});
