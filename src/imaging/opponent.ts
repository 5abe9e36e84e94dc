import type { GrayImage, RgbImage } from './types.js';

/**
 * Opponent-colour channels of an RGB image, as grey images centred on 128: where luma does not
 * change, colour often does. Yellow on white, or red beside green, are nearly one luma (BT.601:
 * yellow 226 against white 255; red 76 against green 75 at half intensity), so ORB finds no corner
 * on their boundary; the yellow–blue or red–green channel holds it. A grey pixel (white, black, a
 * grey table) is 128 in both, so a product's colour edges keep their contrast whatever grey
 * surrounds it.
 */
export type OpponentChannel = 'yellow-blue' | 'red-green';

/** The channel of `img`: (R + G) / 2 − B (yellow–blue) or R − G (red–green), plus 128, clamped. */
export function opponentChannel(img: RgbImage, channel: OpponentChannel): GrayImage {
  const n = img.width * img.height;
  const d = img.data;
  const out = new Uint8Array(n);
  if (channel === 'yellow-blue') {
    for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = clamp(((d[j]! + d[j + 1]!) >> 1) - d[j + 2]! + 128);
  } else {
    for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = clamp(d[j]! - d[j + 1]! + 128);
  }
  return { data: out, width: img.width, height: img.height, channels: 1 };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

