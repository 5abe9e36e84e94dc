import usearch from 'usearch';
import type { Tensor2D } from '@tensorflow/tfjs';
import { AppError } from '../../domain/errors.js';
import { seededRandom } from '../../eval/random.js';
import { tensorflow, type Tf } from '../tfjs/tensorflow.js';
import { fitWhitening, l2Rows, shuffled, whitenAll, type RowVectors, type Whitening } from '../tfjs/whitening.js';

/**
 * Label-free adaptation of a feature space to the shop's own catalog (no categories needed):
 *
 *   1. partial PCA whitening fitted on the catalog (axis i scaled by variance_i^−power): the
 *      catalog's dominant, shared directions stop swamping what tells products apart;
 *   2. feature diffusion over the catalog's mutual k-nearest-neighbour graph
 *      (F = X + α S F, S the symmetrically normalised graph; Zhou et al. 2004, Iscen et al. 2017):
 *      every catalog vector is pulled towards the dense region of the catalog it lies in;
 *   3. a sample of the diffused catalog vectors is kept as anchors. A vector's adapted form is
 *
 *        a(x) = [ √ω · w ,  √(1 − ω) · l2( Σ_{j ∈ top-s anchors of w} max(w·aⱼ, 0)^γ · aⱼ ) ],  w = l2(whiten(x))
 *
 *      (2p dimensions, unit length): the cosine of two adapted vectors is ω × the cosine of their
 *      whitened forms (what tells near neighbours apart) + (1 − ω) × that of their anchor mixes
 *      (where in the catalog's structure they sit),
 *      and it is the same function for catalog images and for queries, so the store keeps base vectors, a
 *      product added later is adapted like the rest, and the index holds plain vectors compared
 *      by cosine (filters, "not like this", every index kind work unchanged).
 *
 * Measured on Fashion-MNIST (bench row `default-adapted`): see BENCHMARKS.md.
 */
export interface AdaptationModel extends Whitening {
  /** Anchors kept (m) and their dimensions (= pcaComponents). */
  anchorCount: number;
  /** m × p row-major, unit rows: diffused catalog vectors. */
  anchors: Float32Array;
  /** s, γ, ω of a(x). */
  seeds: number;
  gamma: number;
  ownWeight: number;
}

export interface AdaptationOptions {
  /** PCA components kept (default 1024; at most count − 1 and d). */
  components?: number;
  /** Whitening power: axis i scaled by variance^−power (0.5 = full whitening; default 0.15). */
  power?: number;
  /** Rows sampled to fit the PCA (default 20,000). */
  pcaSample?: number;
  /** Graph neighbours per catalog vector (default 50). */
  neighbours?: number;
  /** Edge weight = similarity^gamma (default 3). */
  gamma?: number;
  /** Diffusion strength α < 1 and steps (defaults 0.99, 20). */
  alpha?: number;
  iterations?: number;
  /** Diffused catalog vectors kept as anchors (default 16,384). */
  anchors?: number;
  /** Anchors mixed into each adapted vector (default 10). */
  seeds?: number;
  /** ω: share of the cosine that comes from the vectors' own whitened directions, the rest from their anchor mixes (default 0.35). */
  ownWeight?: number;
  seed?: number;
}

export const DEFAULT_ADAPTATION: Required<AdaptationOptions> = {
  components: 1024,
  power: 0.15,
  pcaSample: 20_000,
  neighbours: 50,
  gamma: 3,
  alpha: 0.99,
  iterations: 20,
  anchors: 16_384,
  seeds: 10,
  ownWeight: 0.35,
  seed: 1,
};

/** Fewest catalog images an adaptation is fitted on: below it there is no catalog structure to learn. */
export const MIN_ADAPTATION_EXAMPLES = 100;

export interface AdaptationProgress {
  phase: 'pca' | 'graph' | 'diffusion' | 'anchors';
  done: number;
  total: number;
}

export interface AdaptationResult {
  model: AdaptationModel;
  examples: number;
  /** Mutual-neighbour edges of the catalog graph (each counted once). */
  edges: number;
  seconds: number;
  options: Required<AdaptationOptions>;
}

/** Fits the adaptation on the catalog's vectors (no labels). Deterministic for a given seed and data. */
export async function fitAdaptation(
  data: RowVectors, options: AdaptationOptions = {}, onProgress?: (p: AdaptationProgress) => void,
): Promise<AdaptationResult> {
  const started = performance.now();
  const o = { ...DEFAULT_ADAPTATION, ...options };
  validate(o);
  const n = data.count;
  if (n < MIN_ADAPTATION_EXAMPLES) {
    throw new AppError('TRAINING_DATA_INSUFFICIENT', `adapting to the catalog needs at least ${MIN_ADAPTATION_EXAMPLES} images with vectors, found ${n}`, {
      details: { examples: n, minExamples: MIN_ADAPTATION_EXAMPLES },
    });
  }
  const tf = await tensorflow();
  const rand = seededRandom(o.seed);
  const d = data.dimensions;
  const p = Math.max(1, Math.min(o.components, d, n - 1));
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const { mean, whiten } = await fitWhitening(tf, data, all, p, Math.min(o.pcaSample, n), rand, (done, total) => onProgress?.({ phase: 'pca', done, total }), o.power);
  const whitening: Whitening = { inputDimensions: d, pcaComponents: p, mean, whiten };

  const wt = await whitenAll(tf, whitening, { data: data.vectors.subarray(0, n * d), n, d });
  const normed = tf.tidy(() => l2Rows(tf, wt));
  wt.dispose();
  const x = Float32Array.from(await normed.data());
  normed.dispose();

  const k = Math.min(o.neighbours, n - 1);
  const graph = mutualGraph(x, n, p, k, o.gamma, (done, total) => onProgress?.({ phase: 'graph', done, total }));
  const f = await diffuse(x, n, p, graph, o.alpha, o.iterations, (done, total) => onProgress?.({ phase: 'diffusion', done, total }));

  const m = Math.min(o.anchors, n);
  const picked = shuffled(n, rand).subarray(0, m).sort();
  const anchors = new Float32Array(m * p);
  picked.forEach((row, i) => {
    const v = f.subarray(row * p, (row + 1) * p);
    let norm = 0;
    for (let j = 0; j < p; j++) norm += v[j]! * v[j]!;
    const inv = 1 / (Math.sqrt(norm) || 1);
    for (let j = 0; j < p; j++) anchors[i * p + j] = v[j]! * inv;
  });
  onProgress?.({ phase: 'anchors', done: 1, total: 1 });
  const model: AdaptationModel = {
    ...whitening, anchorCount: m, anchors, seeds: Math.min(o.seeds, m), gamma: o.gamma, ownWeight: o.ownWeight,
  };
  return { model, examples: n, edges: graph.edges, seconds: (performance.now() - started) / 1000, options: o };
}

function validate(o: Required<AdaptationOptions>): void {
  const bad = (name: string, why: string) => new AppError('INVALID_PARAMETER', `adaptation option ${name} ${why}`, { details: { option: name } });
  for (const name of ['components', 'pcaSample', 'neighbours', 'iterations', 'anchors', 'seeds'] as const) {
    if (!Number.isInteger(o[name]) || o[name] < 1) throw bad(name, `must be a positive integer, got ${o[name]}`);
  }
  if (!(o.alpha >= 0 && o.alpha < 1)) throw bad('alpha', `must be in [0, 1), got ${o.alpha}`);
  if (!(o.ownWeight >= 0 && o.ownWeight <= 1)) throw bad('ownWeight', `must be in [0, 1], got ${o.ownWeight}`);
  for (const name of ['power', 'gamma'] as const) {
    if (!Number.isFinite(o[name]) || o[name] < 0) throw bad(name, `must be a non-negative number, got ${o[name]}`);
  }
}

/** The catalog's mutual kNN graph as symmetric-normalised CSR (edge weight sim^γ), neighbours found by usearch's HNSW. */
interface Graph {
  offsets: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
  edges: number;
}

function mutualGraph(x: Float32Array, n: number, p: number, k: number, gamma: number, onProgress: (done: number, total: number) => void): Graph {
  const index = new usearch.Index({
    dimensions: p, metric: usearch.MetricKind.IP, quantization: usearch.ScalarKind.F32,
    connectivity: 16, expansion_add: 128, expansion_search: Math.max(128, 2 * k), multi: false,
  });
  const chunk = 4096;
  const steps = 2 * Math.ceil(n / chunk);
  let step = 0;
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    // One thread: the graph (and so the adaptation) is then the same on every run. (usearch sizes its
    // per-thread search contexts at insert time, so the searches below run on one thread too.)
    index.add(BigUint64Array.from({ length: end - start }, (_, i) => BigInt(start + i)), x.subarray(start * p, end * p), 1);
    onProgress(++step, steps);
  }
  // Neighbour lists (self excluded), nearest first; similarity = 1 − inner-product distance.
  const nbr = new Int32Array(n * k).fill(-1);
  const sim = new Float32Array(n * k);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const queries = Array.from({ length: end - start }, (_, i) => x.subarray((start + i) * p, (start + i + 1) * p));
    const res = index.search(queries, k + 1, 1);
    for (let i = 0; i < queries.length; i++) {
      const row = start + i;
      const found = res.get(i);
      let c = 0;
      for (let j = 0; j < found.keys.length && c < k; j++) {
        const key = Number(found.keys[j]!);
        if (key === row) continue;
        nbr[row * k + c] = key;
        sim[row * k + c] = 1 - found.distances[j]!;
        c++;
      }
    }
    onProgress(++step, steps);
  }
  // Mutual edges only: j lists i and i lists j; weight max(sim, 0)^γ (the smaller of the two estimates).
  const rowsOf: number[][] = Array.from({ length: n }, () => []);
  const wOf: number[][] = Array.from({ length: n }, () => []);
  let edges = 0;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < k; a++) {
      const j = nbr[i * k + a]!;
      if (j <= i) continue;
      let back = -1;
      for (let b = 0; b < k; b++) if (nbr[j * k + b] === i) { back = b; break; }
      if (back < 0) continue;
      const w = Math.max(0, Math.min(sim[i * k + a]!, sim[j * k + back]!)) ** gamma;
      if (w <= 0) continue;
      rowsOf[i]!.push(j); wOf[i]!.push(w);
      rowsOf[j]!.push(i); wOf[j]!.push(w);
      edges++;
    }
  }
  const degree = new Float64Array(n);
  for (let i = 0; i < n; i++) for (const w of wOf[i]!) degree[i]! += w;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + rowsOf[i]!.length;
  const targets = new Int32Array(offsets[n]!);
  const weights = new Float32Array(offsets[n]!);
  for (let i = 0; i < n; i++) {
    const base = offsets[i]!;
    rowsOf[i]!.forEach((j, e) => {
      targets[base + e] = j;
      weights[base + e] = wOf[i]![e]! / Math.sqrt(degree[i]! * degree[j]!);
    });
  }
  return { offsets, targets, weights, edges };
}

/** F = X + α S F by `iterations` fixed-point steps (converges for α < 1: S's spectral radius is ≤ 1). */
async function diffuse(
  x: Float32Array, n: number, p: number, g: Graph, alpha: number, iterations: number, onProgress: (done: number, total: number) => void,
): Promise<Float32Array> {
  let f = Float32Array.from(x);
  let next = new Float32Array(x.length);
  for (let it = 0; it < iterations; it++) {
    next.set(x);
    for (let i = 0; i < n; i++) {
      const out = i * p;
      for (let e = g.offsets[i]!; e < g.offsets[i + 1]!; e++) {
        const w = alpha * g.weights[e]!;
        const src = g.targets[e]! * p;
        for (let c = 0; c < p; c++) next[out + c]! += w * f[src + c]!;
      }
    }
    [f, next] = [next, f];
    onProgress(it + 1, iterations);
    await new Promise((r) => setImmediate(r));
  }
  return f;
}

/** Length of an adapted vector: the whitened part and the anchor-mix part. */
export function adaptedDimensions(model: Pick<AdaptationModel, 'pcaComponents'>): number {
  return 2 * model.pcaComponents;
}

/** The model's constant tensors, made once per model (a query adapts one vector at a time). */
interface AnchorTensors { anchors: Tensor2D; anchorsT: Tensor2D; mean: Tensor2D; whiten: Tensor2D }
const tensorsOf = new WeakMap<AdaptationModel, AnchorTensors>();

function anchorTensors(tf: Tf, model: AdaptationModel): AnchorTensors {
  let t = tensorsOf.get(model);
  if (!t) {
    const anchors = tf.tensor2d(model.anchors, [model.anchorCount, model.pcaComponents]);
    t = tf.tidy(() => ({
      anchors: tf.keep(anchors),
      // Transposed once: the WASM backend's matMul is far slower with its transpose flags set.
      anchorsT: tf.keep(tf.transpose(anchors)) as Tensor2D,
      mean: tf.keep(tf.tensor2d(model.mean, [1, model.inputDimensions])),
      whiten: tf.keep(tf.tensor2d(model.whiten, [model.inputDimensions, model.pcaComponents])),
    }));
    tensorsOf.set(model, t);
  }
  return t;
}

/** Adapts `count` row vectors (count × inputDimensions) to count × adaptedDimensions(model) unit vectors. */
export async function applyAdaptation(model: AdaptationModel, vectors: Float32Array, count: number, batchRows = 1024): Promise<Float32Array> {
  const d = model.inputDimensions;
  if (vectors.length !== count * d) {
    throw new AppError('INVALID_PARAMETER', `adaptation expects ${count} × ${d} values, got ${vectors.length}`, { details: { expected: count * d, got: vectors.length } });
  }
  const tf = await tensorflow();
  const t = anchorTensors(tf, model);
  const e = adaptedDimensions(model);
  const out = new Float32Array(count * e);
  for (let start = 0; start < count; start += batchRows) {
    const end = Math.min(count, start + batchRows);
    const y = tf.tidy(() => {
      const x = tf.tensor2d(vectors.subarray(start * d, end * d), [end - start, d]);
      const w = l2Rows(tf, tf.matMul(tf.sub(x, t.mean), t.whiten));
      const top = tf.topk(tf.matMul(w, t.anchorsT), model.seeds);
      const weights = tf.pow(tf.relu(top.values), model.gamma).expandDims(2); // b × s × 1
      const mix = tf.sum(tf.mul(tf.gather(t.anchors, top.indices), weights), 1) as Tensor2D; // b × p
      return tf.concat([tf.mul(w, Math.sqrt(model.ownWeight)), tf.mul(l2Rows(tf, mix), Math.sqrt(1 - model.ownWeight))], 1);
    });
    out.set(await y.data(), start * e);
    y.dispose();
  }
  return out;
}
