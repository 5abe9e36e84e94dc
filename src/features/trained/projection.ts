import { PCA } from 'ml-pca';
import { AppError } from '../../domain/errors.js';
import { seededRandom } from '../../eval/random.js';
import { tensorflow, type Tf } from '../tfjs/tensorflow.js';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';

/**
 * A projection learned from labelled feature vectors (the catalog's categories):
 *
 *   x (base extractor, d) → centre, PCA to p components, whiten (÷ √variance)
 *     → dense p×h + ReLU → dense h×e → L2-normalise  (e-d vector, compared by cosine)
 *
 * The network is trained as a cosine-softmax classifier (normalised embedding against normalised
 * class weights, scaled; NormFace / CosFace family with a margin): the loss pulls each category
 * into a tight cone, which is what cosine retrieval rewards. The class weights are only needed for
 * training and are not kept.
 */
export interface ProjectionModel {
  inputDimensions: number;
  pcaComponents: number;
  hidden: number;
  outputDimensions: number;
  /** d: mean of the training vectors. */
  mean: Float32Array;
  /** d × p row-major: principal axes divided by √(variance + ε), i.e. PCA and whitening in one matrix. */
  whiten: Float32Array;
  /** p × h, h */
  w1: Float32Array;
  b1: Float32Array;
  /** h × e, e */
  w2: Float32Array;
  b2: Float32Array;
}

export interface TrainingOptions {
  /** PCA components before the network (default 256; at most count − 1 and d). */
  pcaComponents?: number;
  /** Rows sampled to fit the PCA (default 10,000). */
  pcaSample?: number;
  hidden?: number;
  /** Output dimensions (default 128). */
  outputDimensions?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Cosine-softmax scale and additive margin. */
  scale?: number;
  margin?: number;
  dropout?: number;
  seed?: number;
  /** At least this many labelled vectors per category (categories below it are left out of training). */
  minPerClass?: number;
}

export const DEFAULT_TRAINING: Required<TrainingOptions> = {
  pcaComponents: 256,
  pcaSample: 10_000,
  hidden: 512,
  outputDimensions: 128,
  epochs: 6,
  batchSize: 512,
  learningRate: 2e-3,
  scale: 16,
  margin: 0.2,
  dropout: 0.2,
  seed: 1,
  minPerClass: 2,
};

export interface LabelledVectors {
  /** count × dimensions, row-major. */
  vectors: Float32Array;
  count: number;
  dimensions: number;
  /** Class index per row, 0 … classes − 1; −1 = unlabelled (ignored). */
  labels: Int32Array;
  classes: number;
}

export interface TrainingProgress {
  phase: 'pca' | 'train';
  /** Done / total steps of the current phase. */
  done: number;
  total: number;
  loss?: number;
}

export interface TrainingResult {
  model: ProjectionModel;
  /** Rows and classes actually used. */
  examples: number;
  classes: number;
  seconds: number;
  finalLoss: number;
  options: Required<TrainingOptions>;
}

/** Minimum number of categories and of labelled vectors a training run accepts. */
export const MIN_CLASSES = 2;
export const MIN_EXAMPLES = 10;

/** Checks there is something to learn; AppError TRAINING_DATA_INSUFFICIENT otherwise. */
export function selectTrainingRows(data: LabelledVectors, minPerClass: number): Int32Array {
  const counts = new Int32Array(data.classes);
  for (let i = 0; i < data.count; i++) {
    const l = data.labels[i]!;
    if (l >= 0 && l < data.classes) counts[l]!++;
  }
  const usable = new Set<number>();
  counts.forEach((c, l) => { if (c >= minPerClass) usable.add(l); });
  const rows: number[] = [];
  for (let i = 0; i < data.count; i++) if (usable.has(data.labels[i]!)) rows.push(i);
  if (usable.size < MIN_CLASSES || rows.length < MIN_EXAMPLES) {
    throw new AppError(
      'TRAINING_DATA_INSUFFICIENT',
      `training needs at least ${MIN_CLASSES} categories with ${minPerClass}+ images each and ${MIN_EXAMPLES} labelled images in all; ` +
        `found ${usable.size} such categor${usable.size === 1 ? 'y' : 'ies'} and ${rows.length} images`,
      { details: { categories: usable.size, examples: rows.length, minCategories: MIN_CLASSES, minExamples: MIN_EXAMPLES, minPerCategory: minPerClass } },
    );
  }
  return Int32Array.from(rows);
}

/** Learns a projection from labelled vectors. Deterministic for a given seed and data. */
export async function fitProjection(
  data: LabelledVectors, options: TrainingOptions = {}, onProgress?: (p: TrainingProgress) => void,
): Promise<TrainingResult> {
  const started = performance.now();
  const o = { ...DEFAULT_TRAINING, ...options };
  const tf = await tensorflow();
  const rows = selectTrainingRows(data, o.minPerClass);
  // Relabel the classes used to 0 … k − 1.
  const classMap = new Map<number, number>();
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    const l = data.labels[r]!;
    if (!classMap.has(l)) classMap.set(l, classMap.size);
    labels[i] = classMap.get(l)!;
  });
  const k = classMap.size;
  const rand = seededRandom(o.seed);
  const d = data.dimensions;
  const p = Math.max(1, Math.min(o.pcaComponents, d, rows.length - 1));

  const { mean, whiten } = await fitWhitening(tf, data, rows, p, Math.min(o.pcaSample, rows.length), rand, onProgress);
  const model: ProjectionModel = {
    inputDimensions: d, pcaComponents: p, hidden: o.hidden, outputDimensions: o.outputDimensions,
    mean, whiten, w1: new Float32Array(0), b1: new Float32Array(0), w2: new Float32Array(0), b2: new Float32Array(0),
  };

  // Whitened training set, kept on the backend for the whole run (n × p).
  const xAll = await whitenAll(tf, model, gatherRows(data, rows));
  const n = rows.length;
  const init = (shape: [number, number]) => glorot(shape, rand);
  const w1 = tf.variable(tf.tensor2d(init([p, o.hidden]), [p, o.hidden]));
  const b1 = tf.variable(tf.zeros([o.hidden]));
  const w2 = tf.variable(tf.tensor2d(init([o.hidden, o.outputDimensions]), [o.hidden, o.outputDimensions]));
  const b2 = tf.variable(tf.zeros([o.outputDimensions]));
  const centres = tf.variable(tf.tensor2d(init([o.outputDimensions, k]), [o.outputDimensions, k]));
  const batch = Math.max(1, Math.min(o.batchSize, n));
  const stepsPerEpoch = Math.ceil(n / batch);
  const totalSteps = stepsPerEpoch * o.epochs;
  const optimizer = tf.train.adam(o.learningRate);
  let finalLoss = NaN;
  try {
    let step = 0;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const order = shuffled(n, rand);
      let lossSum = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        // Cosine learning-rate decay to zero over the run.
        // Adam reads its (protected) learning rate on every step; tfjs has no schedule for it.
        (optimizer as unknown as { learningRate: number }).learningRate = o.learningRate * 0.5 * (1 + Math.cos(Math.PI * step / totalSteps));
        const idx = order.subarray(s * batch, Math.min(n, (s + 1) * batch));
        const dropSeed = Math.floor(rand() * 2 ** 31);
        const loss = optimizer.minimize(() => tf.tidy(() => {
          const ids = tf.tensor1d(idx, 'int32');
          let x = tf.gather(xAll, ids) as Tensor2D;
          if (o.dropout > 0) x = tf.dropout(x, o.dropout, undefined, dropSeed) as Tensor2D;
          let h = tf.relu(tf.add(matMul(tf, x, w1), b1));
          if (o.dropout > 0) h = tf.dropout(h, o.dropout, undefined, dropSeed + 1);
          const z = l2Rows(tf, tf.add(matMul(tf, h as Tensor2D, w2), b2) as Tensor2D);
          const c = tf.div(centres, tf.norm(centres, 2, 0, true).add(1e-12)) as Tensor2D;
          const onehot = tf.oneHot(tf.gather(tf.tensor1d(labels, 'int32'), ids), k);
          const cos = matMul(tf, z, c);
          const logits = tf.mul(tf.sub(cos, tf.mul(onehot, o.margin)), o.scale);
          return tf.losses.softmaxCrossEntropy(onehot, logits);
        }), true)!;
        const value = (await loss.data())[0]!;
        loss.dispose();
        lossSum += value;
        step++;
        onProgress?.({ phase: 'train', done: step, total: totalSteps, loss: value });
      }
      finalLoss = lossSum / stepsPerEpoch;
    }
    model.w1 = Float32Array.from(await w1.data());
    model.b1 = Float32Array.from(await b1.data());
    model.w2 = Float32Array.from(await w2.data());
    model.b2 = Float32Array.from(await b2.data());
  } finally {
    tf.dispose([xAll, w1, b1, w2, b2, centres]);
    optimizer.dispose();
  }
  return { model, examples: n, classes: k, seconds: (performance.now() - started) / 1000, finalLoss, options: o };
}

/**
 * Projects `count` row vectors (count × inputDimensions) to count × outputDimensions,
 * L2-normalised. Batched on the TensorFlow.js backend.
 */
export async function applyProjection(model: ProjectionModel, vectors: Float32Array, count: number, batchRows = 4096): Promise<Float32Array> {
  const d = model.inputDimensions;
  if (vectors.length !== count * d) {
    throw new AppError('INVALID_PARAMETER', `projection expects ${count} × ${d} values, got ${vectors.length}`, { details: { expected: count * d, got: vectors.length } });
  }
  const tf = await tensorflow();
  const out = new Float32Array(count * model.outputDimensions);
  const weights = tf.tidy(() => ({
    w1: tf.tensor2d(model.w1, [model.pcaComponents, model.hidden]), b1: tf.tensor1d(model.b1),
    w2: tf.tensor2d(model.w2, [model.hidden, model.outputDimensions]), b2: tf.tensor1d(model.b2),
  }));
  try {
    for (let start = 0; start < count; start += batchRows) {
      const end = Math.min(count, start + batchRows);
      const y = tf.tidy(() => {
        const x = whitenRows(tf, model, { data: vectors.subarray(start * d, end * d), n: end - start, d });
        const h = tf.relu(tf.add(tf.matMul(x, weights.w1), weights.b1));
        return l2Rows(tf, tf.add(tf.matMul(h, weights.w2), weights.b2) as Tensor2D);
      });
      out.set(await y.data(), start * model.outputDimensions);
      y.dispose();
    }
  } finally {
    tf.dispose(Object.values(weights));
  }
  return out;
}

/**
 * a · b with explicit transposes in the gradient. The WASM backend's matMul is an order of magnitude
 * slower with its transpose flags set (measured 20 s against 1.5 s for 10k × 2239 · 2239 × 272), and
 * the built-in gradient of matMul sets them.
 */
function matMul(tf: Tf, a: Tensor2D, b: Tensor2D): Tensor2D {
  const f = tf.customGrad((...inputs) => {
    const [x, w, save] = inputs as [Tensor2D, Tensor2D, (ts: Tensor[]) => void];
    save([x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy, saved) => {
        const [sx, sw] = saved as [Tensor2D, Tensor2D];
        return [tf.matMul(dy as Tensor2D, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy as Tensor2D)];
      },
    };
  });
  return f(a, b) as Tensor2D;
}

function l2Rows(tf: Tf, x: Tensor2D): Tensor2D {
  return tf.div(x, tf.norm(x, 2, 1, true).add(1e-12));
}

function whitenRows(tf: Tf, model: ProjectionModel, m: { data: Float32Array; n: number; d: number }): Tensor2D {
  const x = tf.sub(tf.tensor2d(m.data, [m.n, m.d]), tf.tensor1d(model.mean));
  return tf.matMul(x, tf.tensor2d(model.whiten, [model.inputDimensions, model.pcaComponents]));
}

/** Whitened rows (n × p) computed in chunks, so the backend never holds the n × d input at once. */
async function whitenAll(tf: Tf, model: ProjectionModel, m: { data: Float32Array; n: number; d: number }, chunk = 4096): Promise<Tensor2D> {
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

function gatherRows(data: LabelledVectors, rows: Int32Array): { data: Float32Array; n: number; d: number } {
  const d = data.dimensions;
  if (rows.length === data.count) return { data: data.vectors.subarray(0, data.count * d), n: data.count, d };
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(data.vectors.subarray(r * d, (r + 1) * d), i * d));
  return { data: out, n: rows.length, d };
}

/**
 * Mean and whitening matrix by randomized PCA (Halko, Martinsson & Tropp 2011) on a row sample,
 * with the big products on the TensorFlow.js backend and the small l × l eigenproblem in ml-pca.
 */
async function fitWhitening(
  tf: Tf, data: LabelledVectors, rows: Int32Array, p: number, sampleSize: number, rand: () => number,
  onProgress?: (p: TrainingProgress) => void,
): Promise<{ mean: Float32Array; whiten: Float32Array }> {
  const d = data.dimensions;
  const sample = shuffled(rows.length, rand).subarray(0, sampleSize).map((i) => rows[i]!);
  const s = sample.length;
  const l = Math.min(p + 16, d, s);
  const powerIterations = 2;
  const totalSteps = 3 + powerIterations;
  let step = 0;
  const tick = () => onProgress?.({ phase: 'pca', done: ++step, total: totalSteps });

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
    // ε keeps near-zero-variance axes from being blown up into noise.
    for (let c = 0; c < p; c++) scale[c] = 1 / Math.sqrt(Math.max(0, values[c] ?? 0) / Math.max(1, s - 1) + 1e-4 * top);
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

function glorot([fanIn, fanOut]: [number, number], rand: () => number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (rand() * 2 - 1) * limit;
  return out;
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** A seeded permutation of 0 … n − 1 (Fisher–Yates). */
function shuffled(n: number, rand: () => number): Int32Array {
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
