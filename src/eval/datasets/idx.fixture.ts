/** Test helpers: write IDX files (optionally gzip'd) and small synthetic Fashion-MNIST-shaped datasets. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** Encodes an unsigned-byte IDX array. */
export function encodeIdx(shape: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((s, i) => header.writeUInt32BE(s, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

export interface SyntheticSplit {
  pixels: Uint8Array;
  labels: Uint8Array;
}

/**
 * Deterministic images of side×side: class c is a bright bar at a class-specific position plus
 * pseudo-random noise, so neighbours mostly share the class but not always.
 */
export function syntheticSplit(count: number, side: number, classes: number, seed: number, noise = 250): SyntheticSplit {
  let state = seed >>> 0 || 1;
  const rand = () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 0x100000000;
  };
  const pixels = new Uint8Array(count * side * side);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(rand() * classes);
    labels[i] = c;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const onBar = (c % 2 === 0 ? y : x) === Math.floor(c / 2) % side;
        const v = (onBar ? 200 : 20) + (rand() - 0.5) * 2 * noise;
        pixels[i * side * side + y * side + x] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { pixels, labels };
}

/** Writes the four Fashion-MNIST files into dir (images gzip'd, labels plain when mixed=true). */
export async function writeSyntheticFashionMnist(
  dir: string, train: SyntheticSplit, test: SyntheticSplit, side: number, { gzip = true, mixed = false } = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const put = async (base: string, shape: number[], data: Uint8Array, zip: boolean) => {
    const bytes = encodeIdx(shape, data);
    await writeFile(path.join(dir, zip ? `${base}.gz` : base), zip ? gzipSync(bytes) : bytes);
  };
  await put('train-images-idx3-ubyte', [train.labels.length, side, side], train.pixels, gzip);
  await put('train-labels-idx1-ubyte', [train.labels.length], train.labels, gzip && !mixed);
  await put('t10k-images-idx3-ubyte', [test.labels.length, side, side], test.pixels, gzip);
  await put('t10k-labels-idx1-ubyte', [test.labels.length], test.labels, gzip && !mixed);
}
