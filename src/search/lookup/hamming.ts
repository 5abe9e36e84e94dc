/** Hamming distance helpers for 256-bit binary descriptors stored as 8 uint32 words. */
export const WORDS = 8;

export function popcount32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Distance between descriptor i of `a` and descriptor j of `b` (both Uint32Array, 8 words each). */
export function hamming(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  const x = i * WORDS;
  const y = j * WORDS;
  return (
    popcount32(a[x]! ^ b[y]!) + popcount32(a[x + 1]! ^ b[y + 1]!) + popcount32(a[x + 2]! ^ b[y + 2]!) +
    popcount32(a[x + 3]! ^ b[y + 3]!) + popcount32(a[x + 4]! ^ b[y + 4]!) + popcount32(a[x + 5]! ^ b[y + 5]!) +
    popcount32(a[x + 6]! ^ b[y + 6]!) + popcount32(a[x + 7]! ^ b[y + 7]!)
  );
}

/** A Uint32Array view of 32-byte descriptors (copies when the bytes are not 4-byte aligned). */
export function asWords(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0 && bytes.byteLength % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const copy = new Uint8Array(bytes);
  return new Uint32Array(copy.buffer);
}
