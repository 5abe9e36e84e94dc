/**
 * Iterates on the trained-projection recipe with cached Fashion-MNIST default features
 * (bench/insights/extract-fmnist-features.ts writes them): fits on the 60k training split,
 * scores the 10k test queries (or the first --queries N) against the projected training split.
 *
 *   npx tsx bench/trained/recipe.ts [--features /tmp] [--queries 2000] [--epochs 6] [--batchSize 512] …
 *   npx tsx bench/trained/recipe.ts --lda        LDA baseline: the same PCA-whitening, then the 9 discriminant axes
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ExactRanker, metricsOf } from '../../src/eval/bench/exact-ranking.js';
import { PCA } from 'ml-pca';
import { applyProjection, fitProjection, type ProjectionModel, type TrainingOptions } from '../../src/features/trained/projection.js';
import { tensorflow } from '../../src/features/tfjs/tensorflow.js';

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const dir = arg('features') ?? '/tmp';
const read = (split: string) => {
  const labels = new Uint8Array(readFileSync(path.join(dir, `fmnist-${split}.labels`)));
  const buf = readFileSync(path.join(dir, `fmnist-default-${split}.f32`));
  const vectors = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  return { labels, vectors, count: labels.length, dimensions: vectors.length / labels.length };
};
const train = read('train');
const test = read('test');
const nq = Number(arg('queries') ?? test.count);
const options: TrainingOptions = {};
for (const key of ['epochs', 'hidden', 'pcaComponents', 'outputDimensions', 'learningRate', 'scale', 'margin', 'dropout', 'batchSize', 'pcaSample'] as const) {
  const v = arg(key);
  if (v !== undefined) options[key] = Number(v);
}
/** (x − mean) · whiten for every row, on the tfjs backend. */
async function whitened(model: ProjectionModel, x: Float32Array, n: number): Promise<Float32Array> {
  const tf = await tensorflow();
  const d = model.inputDimensions, p = model.pcaComponents;
  const out = new Float32Array(n * p);
  const w = tf.tensor2d(model.whiten, [d, p]);
  for (let s = 0; s < n; s += 4096) {
    const e = Math.min(n, s + 4096);
    const y = tf.tidy(() => tf.matMul(tf.sub(tf.tensor2d(x.subarray(s * d, e * d), [e - s, d]), tf.tensor1d(model.mean)), w));
    out.set(await y.data(), s * p);
    y.dispose();
  }
  w.dispose();
  return out;
}

if (process.argv.includes('--lda')) {
  // PCA-whitening only (no epochs), then LDA: in whitened space the discriminant axes are the top
  // eigenvectors of the between-class scatter.
  const t = performance.now();
  const { model } = await fitProjection(
    { vectors: train.vectors, count: train.count, dimensions: train.dimensions, labels: Int32Array.from(train.labels), classes: 10 },
    { ...options, epochs: 0 },
  );
  const p = model.pcaComponents;
  const xw = await whitened(model, train.vectors, train.count);
  const means = Array.from({ length: 10 }, () => new Float64Array(p));
  const counts = new Float64Array(10);
  const all = new Float64Array(p);
  for (let i = 0; i < train.count; i++) {
    const l = train.labels[i]!;
    counts[l]!++;
    for (let j = 0; j < p; j++) { means[l]![j]! += xw[i * p + j]!; all[j]! += xw[i * p + j]!; }
  }
  for (let j = 0; j < p; j++) all[j]! /= train.count;
  means.forEach((m, l) => { for (let j = 0; j < p; j++) m[j]! = m[j]! / counts[l]! - all[j]!; });
  const sb = Array.from({ length: p }, (_, a) => Array.from({ length: p }, (_, b) => means.reduce((acc, m, l) => acc + counts[l]! * m[a]! * m[b]!, 0) / train.count));
  const axes = new PCA(sb, { isCovarianceMatrix: true, center: false }).getEigenvectors();
  const k = 9;
  const project = (x: Float32Array, n: number) => {
    const out = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      let norm = 0;
      for (let c = 0; c < k; c++) {
        let acc = 0;
        for (let j = 0; j < p; j++) acc += (x[i * p + j]! - all[j]!) * axes.get(j, c);
        out[i * k + c] = acc;
        norm += acc * acc;
      }
      for (let c = 0; c < k; c++) out[i * k + c]! /= Math.sqrt(norm) || 1;
    }
    return out;
  };
  const catalog = project(xw, train.count);
  const queries = project(await whitened(model, test.vectors.subarray(0, nq * test.dimensions), nq), nq);
  const ranker = new ExactRanker(catalog, k, train.labels);
  console.log('LDA (PCA-whitening', p, '→ 9 axes)', JSON.stringify(metricsOf(ranker.evaluate(queries, test.labels.subarray(0, nq)))), `${((performance.now() - t) / 1000).toFixed(1)} s`);
  process.exit(0);
}

console.log(`train ${train.count} × ${train.dimensions}, queries ${nq}, options ${JSON.stringify(options)}`);
const t0 = performance.now();
let lastLog = 0;
const result = await fitProjection(
  { vectors: train.vectors, count: train.count, dimensions: train.dimensions, labels: Int32Array.from(train.labels), classes: 10 },
  options,
  (p) => {
    if (performance.now() - lastLog > 10_000 || p.done === p.total) {
      lastLog = performance.now();
      console.log(`  ${p.phase} ${p.done}/${p.total}${p.loss !== undefined ? ` loss ${p.loss.toFixed(3)}` : ''} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  },
);
console.log(`trained in ${result.seconds.toFixed(1)} s, final loss ${result.finalLoss.toFixed(4)}, maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
const t1 = performance.now();
const catalog = await applyProjection(result.model, train.vectors, train.count);
const queries = await applyProjection(result.model, test.vectors.subarray(0, nq * test.dimensions), nq);
console.log(`projected in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
const t2 = performance.now();
const ranker = new ExactRanker(catalog, result.model.outputDimensions, train.labels);
const totals = ranker.evaluate(queries, test.labels.subarray(0, nq));
console.log(JSON.stringify(metricsOf(totals)), `ranked in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
