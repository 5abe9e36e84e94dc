import { seededRandom } from '../eval/random.js';
import type { RgbImage } from './types.js';

/** Uniform RGB noise (deterministic for a seed): runs an analysis end to end without a real photo, e.g. to warm it up. */
export function noiseImage(width: number, height: number, seed = 1): RgbImage {
  const rand = seededRandom(seed);
  return { data: Buffer.from(Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rand() * 256))), width, height, channels: 3 };
}
