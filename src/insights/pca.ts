import { PCA } from 'ml-pca';
import { seededRandom } from '../eval/random.js';
import { dotAt, row, sampleRows, type Matrix } from './kmeans.js';

/**
 * Principal components by randomized SVD (Halko, Martinsson & Tropp 2011) on a row sample.
 * ml-pca alone would run a dense SVD or a d × d covariance eigendecomposition (2239² here), which
 * takes minutes in JavaScript; the randomized range finder cuts the problem to l × l, and ml-pca
 * does that small eigendecomposition.
 */
export interface PcaModel {
  d: number;
  components: number;
  /** Column means (d). */
  mean: Float32Array;
  /** components × d, orthonormal rows, in decreasing variance order. */
  basis: Float32Array;
  /** Variance captured by each component (on the fitting sample). */
  variance: number[];
}

export interface PcaOptions {
  components: number;
  /** Rows used for fitting (default 5000). */
  sample?: number;
  /** Extra random directions beyond `components` (default 10). */
  oversample?: number;
  /** Power iterations (default 2): sharpen the spectrum for slowly decaying singular values. */
  powerIterations?: number;
  seed?: number;
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Orthonormalises the columns of Y (s × l, row-major) in place by modified Gram–Schmidt. */
function orthonormalize(y: Float64Array, s: number, l: number): void {
  for (let a = 0; a < l; a++) {
    for (let b = 0; b < a; b++) {
      let dot = 0;
      for (let i = 0; i < s; i++) dot += y[i * l + a]! * y[i * l + b]!;
      for (let i = 0; i < s; i++) y[i * l + a]! -= dot * y[i * l + b]!;
    }
    let norm = 0;
    for (let i = 0; i < s; i++) norm += y[i * l + a]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < s; i++) y[i * l + a]! /= norm;
  }
}

export function fitPca(m: Matrix, options: PcaOptions): PcaModel {
  const { d } = m;
  const rand = seededRandom(options.seed ?? 7);
  const rows = sampleRows(m.n, options.sample ?? 5000, rand);
  const s = rows.length;
  const c = Math.min(options.components, d, s);
  const l = Math.min(c + (options.oversample ?? 10), d, s);
  const mean = new Float32Array(d);
  for (const r of rows) {
    const x = row(m, r);
    for (let j = 0; j < d; j++) mean[j]! += x[j]!;
  }
  for (let j = 0; j < d; j++) mean[j]! /= s;
  // Centred sample, s × d.
  const x = new Float32Array(s * d);
  rows.forEach((r, i) => {
    const src = row(m, r);
    for (let j = 0; j < d; j++) x[i * d + j] = src[j]! - mean[j]!;
  });
  // Y = X Ω with Ω d × l Gaussian.
  const omega = new Float64Array(d * l);
  for (let i = 0; i < omega.length; i++) omega[i] = gaussian(rand);
  let y = mulXB(x, s, d, omega, l);
  for (let p = 0; p < (options.powerIterations ?? 2); p++) {
    orthonormalize(y, s, l);
    const z = mulXtY(x, s, d, y, l); // d × l
    orthonormalize(z, d, l);
    y = mulXB(x, s, d, z, l);
  }
  orthonormalize(y, s, l);
  // B = Qᵀ X (l × d); eigen of B Bᵀ (l × l) gives the top singular directions.
  const b = mulXtY(x, s, d, y, l); // d × l, i.e. Bᵀ
  const bbt: number[][] = Array.from({ length: l }, () => new Array<number>(l).fill(0));
  for (let p = 0; p < l; p++) {
    for (let q = p; q < l; q++) {
      let acc = 0;
      for (let j = 0; j < d; j++) acc += b[j * l + p]! * b[j * l + q]!;
      bbt[p]![q] = acc;
      bbt[q]![p] = acc;
    }
  }
  const eig = new PCA(bbt, { isCovarianceMatrix: true });
  const vectors = eig.getEigenvectors(); // l × l, columns = eigenvectors, decreasing eigenvalue
  const values = eig.getEigenvalues();
  const basis = new Float32Array(c * d);
  const variance: number[] = [];
  for (let comp = 0; comp < c; comp++) {
    // Right singular vector: Bᵀ v / σ.
    const v = vectors.getColumn(comp);
    const out = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      let acc = 0;
      for (let p = 0; p < l; p++) acc += b[j * l + p]! * v[p]!;
      out[j] = acc;
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += out[j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < d; j++) basis[comp * d + j] = out[j]! / norm;
    variance.push(Math.max(0, values[comp] ?? 0) / Math.max(1, s - 1));
  }
  return { d, components: c, mean, basis, variance };
}

/** Rows projected onto the first `components` principal axes (n × components). */
export function project(m: Matrix, model: PcaModel, components = model.components): Matrix {
  const c = Math.min(components, model.components);
  const out = new Float32Array(m.n * c);
  const centred = new Float32Array(m.d);
  for (let i = 0; i < m.n; i++) {
    const x = row(m, i);
    for (let j = 0; j < m.d; j++) centred[j] = x[j]! - model.mean[j]!;
    for (let p = 0; p < c; p++) {
      out[i * c + p] = dotAt(centred, 0, model.basis, p * m.d, m.d);
    }
  }
  return { data: out, n: m.n, d: c };
}

/** X (s × d, Float32) times B (d × l) → s × l. */
function mulXB(x: Float32Array, s: number, d: number, bm: Float64Array, l: number): Float64Array {
  const out = new Float64Array(s * l);
  for (let i = 0; i < s; i++) {
    const o = i * l;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j]!;
      if (v === 0) continue;
      const bo = j * l;
      for (let p = 0; p < l; p++) out[o + p]! += v * bm[bo + p]!;
    }
  }
  return out;
}

/** Xᵀ (d × s) times Y (s × l) → d × l. */
function mulXtY(x: Float32Array, s: number, d: number, y: Float64Array, l: number): Float64Array {
  const out = new Float64Array(d * l);
  for (let i = 0; i < s; i++) {
    const yo = i * l;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j]!;
      if (v === 0) continue;
      const o = j * l;
      for (let p = 0; p < l; p++) out[o + p]! += v * y[yo + p]!;
    }
  }
  return out;
}
