import { PCA } from 'ml-pca';
import type { Tensor2D } from '@tensorflow/tfjs';
import type { Tf } from './tensorflow.js';

/**
 * PCA whitening of feature vectors on the TensorFlow.js backend, shared by the catalog-trained
 * projection (labels) and the label-free catalog adaptation.
 */

/** count × dimensions row-major vectors. */
export interface RowVectors {
  vectors: Float32Array;
  count: number;
  dimensions: number;
}

/** Centre on `mean`, then multiply by `whiten` (d × p): PCA and per-axis scaling in one matrix. */
export interface Whitening {
  inputDimensions: number;
  pcaComponents: number;
  /** d */
  mean: Float32Array;
  /** d × p row-major */
  whiten: Float32Array;
}

export function l2Rows(tf: Tf, x: Tensor2D): Tensor2D {
  return tf.div(x, tf.norm(x, 2, 1, true).add(1e-12));
}

export function whitenRows(tf: Tf, model: Whitening, m: { data: Float32Array; n: number; d: number }): Tensor2D {
  const x = tf.sub(tf.tensor2d(m.data, [m.n, m.d]), tf.tensor1d(model.mean));
  return tf.matMul(x, tf.tensor2d(model.whiten, [model.inputDimensions, model.pcaComponents]));
}

/** Whitened rows (n × p) computed in chunks, so the backend never holds the n × d input at once. */
export async function whitenAll(tf: Tf, model: Whitening, m: { data: Float32Array; n: number; d: number }, chunk = 4096): Promise<Tensor2D> {
  const parts: Tensor2D[] = [];
  for (let start = 0; start < m.n; start += chunk) {
    const end = Math.min(m.n, start + chunk);
    parts.push(tf.tidy(() => whitenRows(tf, model, { data: m.data.subarray(start * m.d, end * m.d), n: end - start, d: m.d })));
    await new Promise((r) => setImmediate(r));
  }
  const all = tf.concat(parts, 0);
  tf.dispose(parts);
  return all;
}

export function gatherRows(data: RowVectors, rows: Int32Array): { data: Float32Array; n: number; d: number } {
  const d = data.dimensions;
  if (rows.length === data.count) return { data: data.vectors.subarray(0, data.count * d), n: data.count, d };
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(data.vectors.subarray(r * d, (r + 1) * d), i * d));
  return { data: out, n: rows.length, d };
}

/**
 * Mean and whitening matrix (axis i scaled by variance_i^−power) by randomized PCA (Halko, Martinsson & Tropp 2011) on a row sample,
 * with the big products on the TensorFlow.js backend and the small l × l eigenproblem in ml-pca.
 */
export async function fitWhitening(
  tf: Tf, data: RowVectors, rows: Int32Array, p: number, sampleSize: number, rand: () => number,
  onProgress?: (done: number, total: number) => void, power = 0.5,
): Promise<{ mean: Float32Array; whiten: Float32Array }> {
  const d = data.dimensions;
  const sample = shuffled(rows.length, rand).subarray(0, sampleSize).map((i) => rows[i]!);
  const s = sample.length;
  const l = Math.min(p + 16, d, s);
  const powerIterations = 2;
  const totalSteps = 3 + powerIterations;
  let step = 0;
  const tick = () => onProgress?.(++step, totalSteps);

  const xs = gatherRows(data, sample);
  const mean = new Float32Array(d);
  const acc = new Float64Array(d);
  for (let i = 0; i < s; i++) for (let j = 0; j < d; j++) acc[j]! += xs.data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j] = acc[j]! / s;
  const x = tf.tidy(() => tf.sub(tf.tensor2d(xs.data, [s, d]), tf.tensor1d(mean)) as Tensor2D);
  const xt = tf.transpose(x);
  try {
    const omega = new Float32Array(d * l);
    for (let i = 0; i < omega.length; i++) omega[i] = gaussian(rand);
    let q = await orthonormalise(tf, tf.matMul(x, tf.tensor2d(omega, [d, l])));
    tick();
    for (let it = 0; it < powerIterations; it++) {
      const z = await orthonormalise(tf, tf.tidy(() => tf.matMul(xt, q))); // d × l
      q.dispose();
      q = await orthonormalise(tf, tf.matMul(x, z)); // s × l
      z.dispose();
      tick();
    }
    // B = Qᵀ X (l × d); the eigenvectors of B Bᵀ (l × l) give the right singular vectors Bᵀ v / σ.
    const b = tf.tidy(() => tf.transpose(tf.matMul(xt, q))); // l × d
    q.dispose();
    const bbt = tf.tidy(() => tf.matMul(b, tf.transpose(b)));
    const bbtRows = (await bbt.array()) as number[][];
    bbt.dispose();
    tick();
    const eig = new PCA(bbtRows, { isCovarianceMatrix: true, center: false });
    const vectors = eig.getEigenvectors(); // columns, by decreasing eigenvalue
    const values = eig.getEigenvalues();
    const v = new Float32Array(l * p);
    for (let c = 0; c < p; c++) {
      const col = vectors.getColumn(c);
      for (let r = 0; r < l; r++) v[r * p + c] = col[r]!;
    }
    // Right singular vectors, unit norm: Bᵀ v / ‖Bᵀ v‖ (d × p); variance = σ² / (s − 1).
    const axes = tf.tidy(() => {
      const u = tf.matMul(tf.transpose(b), tf.tensor2d(v, [l, p]));
      return tf.div(u, tf.norm(u, 2, 0, true).add(1e-12));
    });
    b.dispose();
    const top = Math.max(values[0] ?? 0, 1e-12) / Math.max(1, s - 1);
    const scale = new Float32Array(p);
    // ε keeps near-zero-variance axes from being blown up into noise; power 0.5 is full whitening, less is partial.
    for (let c = 0; c < p; c++) scale[c] = (Math.max(0, values[c] ?? 0) / Math.max(1, s - 1) + 1e-4 * top) ** -power;
    const whitenT = tf.tidy(() => tf.mul(axes, tf.tensor1d(scale)));
    axes.dispose();
    const whiten = Float32Array.from(await whitenT.data());
    whitenT.dispose();
    tick();
    return { mean, whiten };
  } finally {
    tf.dispose([x, xt]);
  }
}

/** Orthonormal basis of the columns of y (consumed): y V Λ^(−1/2) from the eigen-decomposition of yᵀy, twice for accuracy. */
async function orthonormalise(tf: Tf, y: Tensor2D): Promise<Tensor2D> {
  let current = y;
  for (let pass = 0; pass < 2; pass++) {
    const gram = tf.tidy(() => tf.matMul(tf.transpose(current), current));
    const g = (await gram.array()) as number[][];
    gram.dispose();
    const eig = new PCA(g, { isCovarianceMatrix: true, center: false });
    const vectors = eig.getEigenvectors();
    const values = eig.getEigenvalues();
    const l = g.length;
    const top = Math.max(values[0] ?? 0, 1e-30);
    const m = new Float32Array(l * l);
    for (let c = 0; c < l; c++) {
      const inv = 1 / Math.sqrt(Math.max(values[c] ?? 0, 1e-12 * top));
      const col = vectors.getColumn(c);
      for (let r = 0; r < l; r++) m[r * l + c] = col[r]! * inv;
    }
    const next = tf.tidy(() => tf.matMul(current, tf.tensor2d(m, [l, l]))) as Tensor2D;
    current.dispose();
    current = next;
  }
  return current;
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** A seeded permutation of 0 … n − 1 (Fisher–Yates). */
export function shuffled(n: number, rand: () => number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}
