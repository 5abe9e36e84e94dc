import type { GrayImage } from '../../src/imaging/types.js';

/** A textured grayscale test card: random rectangles of random grey levels (plenty of corners). */
export function card(w: number, h: number, seed = 7, rectangles = 60): GrayImage {
  const data = new Uint8Array(w * h).fill(255);
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  for (let k = 0; k < rectangles; k++) {
    const x0 = Math.floor(r() * w), y0 = Math.floor(r() * h), rw = 8 + Math.floor(r() * 40), rh = 8 + Math.floor(r() * 40), v = Math.floor(r() * 200);
    for (let y = y0; y < Math.min(h, y0 + rh); y++) for (let x = x0; x < Math.min(w, x0 + rw); x++) data[y * w + x] = v;
  }
  return { data, width: w, height: h, channels: 1 };
}
