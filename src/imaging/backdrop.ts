import type { RgbImage } from './types.js';

/** A catalog image's plain backdrop: which pixels, and its colour. */
export interface Backdrop {
  /** One byte per pixel, 1 for backdrop. */
  mask: Uint8Array;
  /** Share of the image's pixels in the backdrop. */
  share: number;
  /** Median colour of the image's border. */
  colour: [number, number, number];
}

/** Most a backdrop pixel's channels differ from the border's median colour (JPEG noise, a soft shadow's edge). */
export const BACKDROP_TOLERANCE = 25;
/** Least share of the border in the backdrop's colour for a plain backdrop (a studio sweep, not a room). */
const PLAIN_BORDER = 0.6;
/**
 * Most a clean backdrop's border pixels differ from its median colour in any channel. A digital or
 * studio-lit backdrop is flat to a level or two (JPEG keeps a flat block exactly); a photographed
 * table or wall has texture and uneven light (and sensor noise, though JPEG smooths much of it):
 * on the lookup benchmark's shopper photos a median 7% of the border is within 2 levels of its
 * median colour, on Fashion-MNIST images 86%.
 */
const CLEAN_TOLERANCE = 2;

/** Indices of the image's border pixels, its `rings` outermost rows and columns (each pixel once). */
export function borderPixels(img: RgbImage, rings = 1): number[] {
  const { width: w, height: h } = img;
  const r = Math.max(0, Math.min(rings, Math.ceil(w / 2), Math.ceil(h / 2)));
  const border: number[] = [];
  for (let y = 0; y < h; y++) {
    const edgeRow = y < r || y >= h - r;
    for (let x = 0; x < w; x++) if (edgeRow || x < r || x >= w - r) border.push(y * w + x);
  }
  return border;
}

/** Median colour, per channel, of the pixels `at`. */
export function medianColour(img: RgbImage, at: number[]): [number, number, number] {
  const median = (c: number): number => {
    const v = at.map((i) => img.data[3 * i + c]!).sort((a, b) => a - b);
    return v[v.length >> 1] ?? 0;
  };
  return [median(0), median(1), median(2)];
}

/**
 * True when most of the image's border (PLAIN_BORDER) is one noise-free colour (CLEAN_TOLERANCE):
 * an image made for a catalogue (a product on white, on a studio sweep, a rendered drawing), not a
 * photo of a product on a table, in a hand or in a room.
 */
export function hasCleanBackdrop(img: RgbImage): boolean {
  const border = borderPixels(img);
  const colour = medianColour(img, border);
  return border.length > 0 && border.filter((i) => backdropColoured(img, i, colour, CLEAN_TOLERANCE)).length >= PLAIN_BORDER * border.length;
}

/** Whether pixel `i` is within `tolerance` (BACKDROP_TOLERANCE) of `colour` in every channel. */
export function backdropColoured(img: RgbImage, i: number, colour: readonly [number, number, number], tolerance = BACKDROP_TOLERANCE): boolean {
  const d = img.data;
  return Math.abs(d[3 * i]! - colour[0]) <= tolerance && Math.abs(d[3 * i + 1]! - colour[1]) <= tolerance && Math.abs(d[3 * i + 2]! - colour[2]) <= tolerance;
}

/**
 * The plain backdrop of a catalog image (white, a light grey sweep, a black studio): the pixels
 * within BACKDROP_TOLERANCE of the border's median colour, connected to the border. Colour the
 * product encloses (a white label, the inside of a ring) is not backdrop. A photo whose border is
 * not mostly one colour (a room, a table, a model outdoors) has none: share 0.
 */
export function findBackdrop(img: RgbImage): Backdrop {
  const { width: w, height: h } = img;
  const border = borderPixels(img);
  const colour = medianColour(img, border);
  const mask = new Uint8Array(w * h);
  const near = (i: number): boolean => backdropColoured(img, i, colour);
  if (border.length === 0 || border.filter(near).length < PLAIN_BORDER * border.length) return { mask, share: 0, colour };
  const stack = new Int32Array(w * h);
  let top = 0;
  let n = 0;
  const push = (i: number): void => {
    if (mask[i] || !near(i)) return;
    mask[i] = 1;
    n++;
    stack[top++] = i;
  };
  for (const i of border) push(i);
  while (top > 0) {
    const i = stack[--top]!;
    const x = i % w;
    if (x > 0) push(i - 1);
    if (x < w - 1) push(i + 1);
    if (i >= w) push(i - w);
    if (i < w * (h - 1)) push(i + w);
  }
  return { mask, share: n / (w * h), colour };
}

/** A copy of `img` with its backdrop (findBackdrop's mask) painted grey `level`. */
export function onBackdrop(img: RgbImage, mask: Uint8Array, level: number): RgbImage {
  const data = Buffer.from(img.data);
  for (let i = 0; i < mask.length; i++) if (mask[i]) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = level;
  return { ...img, data };
}

/**
 * The greys to paint a backdrop of `colour`: `levels` then white, leaving out those within `apart`
 * of the backdrop's own grey (that copy would be the image itself), at most `levels.length` of them.
 * A white backdrop gets `levels`; a black one the lighter of them and white.
 */
export function backdropGreys(colour: readonly [number, number, number], levels: readonly number[], apart = 48): number[] {
  const own = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2];
  return [...levels, 255].filter((g) => Math.abs(g - own) > apart).slice(0, levels.length);
}
