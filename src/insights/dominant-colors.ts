import { readFile } from 'node:fs/promises';
import type { MediaStore } from '../catalog/media-store.js';
import { decodeImage } from '../imaging/index.js';

export interface DominantColor {
  hex: string;
  /** Share of the counted (non-background) pixels. */
  share: number;
}

const LEVELS = 6; // per channel: 216 colour bins

/**
 * The main colours of a set of images (their display copies): pixels binned on a 6×6×6 RGB grid,
 * near-white pixels skipped as background (product shots sit on white), each top bin reported as
 * the mean colour of its pixels.
 */
export async function dominantColors(media: MediaStore, sha256s: string[], top = 3): Promise<DominantColor[]> {
  const bins = new Float64Array(LEVELS ** 3 * 4); // count, r, g, b sums
  let total = 0;
  for (const sha of sha256s) {
    let bytes: Buffer;
    try {
      bytes = await readFile(media.pathFor(sha));
    } catch {
      continue; // display copy missing: colours from the others
    }
    const img = await decodeImage(bytes, undefined, { maxSide: 64 }).catch(() => null);
    if (!img) continue;
    const { data } = img;
    for (let i = 0; i + 2 < data.length; i += 3) {
      const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
      if (r > 235 && g > 235 && b > 235) continue;
      const bin = (Math.min(LEVELS - 1, Math.floor((r * LEVELS) / 256)) * LEVELS + Math.min(LEVELS - 1, Math.floor((g * LEVELS) / 256))) * LEVELS +
        Math.min(LEVELS - 1, Math.floor((b * LEVELS) / 256));
      bins[bin * 4]! += 1;
      bins[bin * 4 + 1]! += r;
      bins[bin * 4 + 2]! += g;
      bins[bin * 4 + 3]! += b;
      total++;
    }
  }
  if (total === 0) return [];
  const order = Array.from({ length: LEVELS ** 3 }, (_, i) => i).filter((i) => bins[i * 4]! > 0).sort((a, b) => bins[b * 4]! - bins[a * 4]!);
  return order.slice(0, top).map((i) => {
    const n = bins[i * 4]!;
    const hex = [1, 2, 3].map((c) => Math.round(bins[i * 4 + c]! / n).toString(16).padStart(2, '0')).join('');
    return { hex: `#${hex}`, share: n / total };
  });
}
