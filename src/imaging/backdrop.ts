import type { RgbImage } from './types.js';

/**
 * The plain light backdrop of a catalog image: pixels whose every channel is at least `minLevel`,
 * connected to the image's border: white the product encloses (a label, the inside of a ring) is
 * not backdrop.
 * Returns one byte per pixel, 1 for backdrop.
 */
export function backdropMask(img: RgbImage, minLevel = 230): Uint8Array {
  const { width: w, height: h, data } = img;
  const mask = new Uint8Array(w * h);
  const light = (i: number): boolean => data[3 * i]! >= minLevel && data[3 * i + 1]! >= minLevel && data[3 * i + 2]! >= minLevel;
  const stack = new Int32Array(w * h);
  let top = 0;
  const push = (i: number): void => {
    if (mask[i] || !light(i)) return;
    mask[i] = 1;
    stack[top++] = i;
  };
  for (let x = 0; x < w; x++) { push(x); push((h - 1) * w + x); }
  for (let y = 0; y < h; y++) { push(y * w); push(y * w + w - 1); }
  while (top > 0) {
    const i = stack[--top]!;
    const x = i % w;
    if (x > 0) push(i - 1);
    if (x < w - 1) push(i + 1);
    if (i >= w) push(i - w);
    if (i < w * (h - 1)) push(i + w);
  }
  return mask;
}

/** A copy of `img` with its backdrop (backdropMask) painted grey `level`. */
export function onBackdrop(img: RgbImage, mask: Uint8Array, level: number): RgbImage {
  const data = Buffer.from(img.data);
  for (let i = 0; i < mask.length; i++) if (mask[i]) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = level;
  return { ...img, data };
}

/** Share of the pixels a mask covers. */
export function maskShare(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v;
  return n / Math.max(1, mask.length);
}
