import { seededRandom } from '../../src/eval/random.js';
import type { RgbImage } from '../../src/imaging/types.js';

export type Rgb = readonly [number, number, number];

/** A flag of equal stripes (horizontal, or vertical when `vertical`), as a colour function of (u, v) in [0, 1]². */
export function stripes(colours: readonly Rgb[], vertical = false): (u: number, v: number) => Rgb {
  return (u, v) => colours[Math.min(colours.length - 1, Math.floor((vertical ? u : v) * colours.length))]!;
}

export interface Placement {
  /** Centre, in pixels. */
  cx: number;
  cy: number;
  /** Flag size, in pixels. */
  width: number;
  height: number;
  /** Turn, in degrees (clockwise on screen). */
  turn: number;
}

/**
 * An image of `width`×`height`: the flag placed (turned) over a background, which is white or a
 * noisy tinted table with a few discs of other colours (clutter). A drawing that is not a rectangle
 * returns null where the background shows through.
 */
export function flagImage(width: number, height: number, flag: (u: number, v: number) => Rgb | null, at: Placement, background: 'white' | 'table', seed = 1): RgbImage {
  const r = seededRandom(seed);
  const data = Buffer.alloc(width * height * 3);
  const tint: Rgb = [90 + r() * 80, 90 + r() * 80, 90 + r() * 80];
  const discs = Array.from({ length: 6 }, () => ({ x: r() * width, y: r() * height, r: 15 + r() * 40, c: [r() * 255, r() * 255, r() * 255] as Rgb }));
  const c = Math.cos((at.turn * Math.PI) / 180), s = Math.sin((at.turn * Math.PI) / 180);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - at.cx, dy = y + 0.5 - at.cy;
      const u = (dx * c + dy * s) / at.width + 0.5, v = (-dx * s + dy * c) / at.height + 0.5;
      let colour: Rgb | null = u >= 0 && u < 1 && v >= 0 && v < 1 ? flag(u, v) : null;
      if (!colour && background === 'white') colour = [255, 255, 255];
      else if (!colour) {
        const disc = discs.find((d) => (x - d.x) ** 2 + (y - d.y) ** 2 < d.r ** 2);
        const noise = (r() - 0.5) * 24;
        colour = disc ? disc.c : [tint[0] + noise, tint[1] + noise, tint[2] + noise];
      }
      const o = 3 * (y * width + x);
      for (let k = 0; k < 3; k++) data[o + k] = Math.max(0, Math.min(255, Math.round(colour[k]!)));
    }
  }
  return { data, width, height, channels: 3 };
}

/** The same image under other light: brightness × gain, plus an offset, per channel. */
export function relit(img: RgbImage, gain: Rgb, offset: Rgb): RgbImage {
  const data = Buffer.alloc(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(img.data[i]! * gain[i % 3]! + offset[i % 3]!)));
  return { ...img, data };
}
