import { AppError } from '../../domain/errors.js';
import { seededRandom } from '../../eval/random.js';
import { tensorflow, type Tf } from '../tfjs/tensorflow.js';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { fitWhitening, gatherRows, l2Rows, shuffled, whitenAll, whitenRows } from '../tfjs/whitening.js';

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

  const { mean, whiten } = await fitWhitening(tf, data, rows, p, Math.min(o.pcaSample, rows.length), rand, (done, total) => onProgress?.({ phase: 'pca', done, total }));
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

function glorot([fanIn, fanOut]: [number, number], rand: () => number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (rand() * 2 - 1) * limit;
  return out;
}
