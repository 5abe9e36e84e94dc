/**
 * Deterministic synthetic vectors for index tests and benchmarks (no test framework imports,
 * so scripts can use them too).
 */
import { seededRandom } from '../eval/random.js';

export { seededRandom };

/** Vectors around `clusters` random centres with isotropic Gaussian spread. */
export function clusteredVectors(n: number, dims: number, seed: number, clusters = 20, spread = 0.35): Float32Array[] {
  const rand = seededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dims }, gauss));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(rand() * clusters)]!;
    return Float32Array.from(c, (x) => x + gauss() * spread);
  });
}
