import type { AnyImage } from './preprocess.js';

/**
 * Turning small images by any angle in plain code (bilinear): the lookup turns product templates
 * of ~200 px, dozens per photo, where a round trip to libvips costs more than the work.
 */

/** Width and height of the canvas that holds a w × h image turned by `degrees`. */
export function turnedSize(width: number, height: number, degrees: number): { width: number; height: number } {
  const a = (Math.abs(degrees) * Math.PI) / 180;
  const c = Math.abs(Math.cos(a)), s = Math.abs(Math.sin(a));
  return { width: Math.ceil(width * c + height * s - 1e-9), height: Math.ceil(width * s + height * c - 1e-9) };
}

/** Where a canvas point comes from in the image: the inverse of turnOnCanvas's turn. */
export interface Unturn {
  (x: number, y: number): [number, number];
}

/** The inverse turn of a w × h image turned by `degrees` at the centre of a W × H canvas. */
export function unturn(w: number, h: number, degrees: number, W: number, H: number): Unturn {
  const a = (degrees * Math.PI) / 180, cos = Math.cos(a), sin = Math.sin(a);
  const cx = (w - 1) / 2, cy = (h - 1) / 2, ox = (W - 1) / 2, oy = (H - 1) / 2;
  return (x, y) => [cx + (x - ox) * cos + (y - oy) * sin, cy - (x - ox) * sin + (y - oy) * cos];
}

/**
 * `img` turned by `degrees` (clockwise) about its centre, at the centre of a `canvas` (at least
 * turnedSize) filled with `background` (a grey image uses its first value).
 */
export function turnOnCanvas<T extends AnyImage>(img: T, degrees: number, background: readonly [number, number, number], canvas?: { width: number; height: number }): T {
  const own = turnedSize(img.width, img.height, degrees);
  const W = Math.max(own.width, canvas?.width ?? 0), H = Math.max(own.height, canvas?.height ?? 0);
  const ch = img.channels, w = img.width, h = img.height, src = img.data;
  const out = new Uint8Array(W * H * ch);
  const a = (degrees * Math.PI) / 180, cos = Math.cos(a), sin = Math.sin(a);
  const cx = (w - 1) / 2, cy = (h - 1) / 2, ox = (W - 1) / 2, oy = (H - 1) / 2;
  // A source sample: the pixel's channel, or the background outside the image.
  const px = (x: number, y: number, c: number): number => (x >= 0 && y >= 0 && x < w && y < h ? src[(y * w + x) * ch + c]! : background[c]!);
  for (let y = 0; y < H; y++) {
    // Source coordinates move by (cos, -sin) per canvas pixel along a row.
    let sx = cx - ox * cos + (y - oy) * sin, sy = cy + ox * sin + (y - oy) * cos;
    for (let x = 0, o = y * W * ch; x < W; x++, o += ch, sx += cos, sy -= sin) {
      if (sx <= -1 || sy <= -1 || sx >= w || sy >= h) {
        for (let c = 0; c < ch; c++) out[o + c] = background[c]!;
        continue;
      }
      const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
        const i = (y0 * w + x0) * ch, j = i + w * ch;
        for (let c = 0; c < ch; c++) out[o + c] = Math.round(src[i + c]! * w00 + src[i + ch + c]! * w10 + src[j + c]! * w01 + src[j + ch + c]! * w11);
      } else {
        for (let c = 0; c < ch; c++) out[o + c] = Math.round(px(x0, y0, c) * w00 + px(x0 + 1, y0, c) * w10 + px(x0, y0 + 1, c) * w01 + px(x0 + 1, y0 + 1, c) * w11);
      }
    }
  }
  const data = ch === 3 ? Buffer.from(out.buffer, out.byteOffset, out.byteLength) : out;
  return { data, width: W, height: H, channels: ch } as T;
}
