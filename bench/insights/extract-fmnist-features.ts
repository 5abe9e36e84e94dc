/**
 * Caches Fashion-MNIST default-extractor features (Float32, row-major, 2239-d) and labels in a
 * directory, for bench/insights/fashion-mnist-svm.ts and cluster-100k.ts. ~11 min on 2 cores.
 *
 *   npx tsx bench/insights/extract-fmnist-features.ts [--out /tmp]
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readFashionMnist } from '../../src/eval/datasets/fashion-mnist.reader.js';
import { createVectoriser, vectoriseAll } from '../../src/eval/bench/bench-extractors.js';

const at = process.argv.indexOf('--out');
const out = at >= 0 ? process.argv[at + 1]! : '/tmp';
const data = await readFashionMnist();
const v = createVectoriser('default', 28, 28)!;
for (const [name, split] of [['test', data.test], ['train', data.train]] as const) {
  const t = performance.now();
  const vectors = vectoriseAll(v, split.pixels, split.count, 28, 28);
  writeFileSync(path.join(out, `fmnist-default-${name}.f32`), Buffer.from(vectors.buffer));
  writeFileSync(path.join(out, `fmnist-${name}.labels`), Buffer.from(split.labels));
  console.log(name, split.count, v.dimensions, ((performance.now() - t) / 1000).toFixed(1), 's');
}
