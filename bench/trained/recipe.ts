/**
 * Iterates on the trained-projection recipe with cached Fashion-MNIST default features
 * (bench/insights/extract-fmnist-features.ts writes them): fits on the 60k training split,
 * scores the 10k test queries (or the first --queries N) against the projected training split.
 *
 *   npx tsx bench/trained/recipe.ts [--features /tmp] [--queries 2000] [--epochs 12] [--lda]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ExactRanker, metricsOf } from '../../src/eval/bench/exact-ranking.js';
import { applyProjection, fitProjection, type TrainingOptions } from '../../src/features/trained/projection.js';

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
