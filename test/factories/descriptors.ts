/** Synthetic 256-bit binary (ORB-like) descriptors for lookup unit tests. */

/** n random 32-byte descriptors. */
export function randomDescriptors(n: number, rand: () => number): Uint8Array {
  return Uint8Array.from({ length: n * 32 }, () => Math.floor(rand() * 256));
}

/** A copy of descriptor k of `from` with `bits` distinct bits flipped (Hamming distance `bits`). */
export function near(from: Uint8Array, k: number, bits: number, rand: () => number): Uint8Array {
  const d = from.slice(k * 32, k * 32 + 32);
  const flipped = new Set<number>();
  while (flipped.size < bits) flipped.add(Math.floor(rand() * 256));
  for (const b of flipped) d[b >> 3]! ^= 1 << (b & 7);
  return d;
}

/** 32-byte descriptors joined into one Uint8Array. */
export function joinDescriptors(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.length * 32);
  parts.forEach((p, i) => out.set(p, i * 32));
  return out;
}

/** The same, as the 8-uint32-per-descriptor words the lookup works on. */
export function descriptorWords(parts: readonly Uint8Array[]): Uint32Array {
  return new Uint32Array(joinDescriptors(parts).buffer);
}
