/**
 * SVM accuracy on Fashion-MNIST through fashionMnistInsightsSection (src/insights/
 * fashion-mnist-insights.ts): default-extractor features (cached by extract-fmnist-features.ts),
 * PCA to 64 components, LIBSVM C-SVC RBF trained on the first N training images, scored on all
 * 10 000 test images. Also prints the section's k-means NMI/purity.
 *
 *   npx tsx bench/insights/fashion-mnist-svm.ts [--train 60000] [--pca 64] [--features /tmp]
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFashionMnist } from '../../src/eval/datasets/fashion-mnist.reader.js';
import { fashionMnistInsightsSection } from '../../src/insights/fashion-mnist-insights.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const dir = arg('features', '/tmp');
const d = 2239;
const f32 = (name: string) => {
  const b = readFileSync(path.join(dir, name));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const data = await readFashionMnist();
const train = f32('fmnist-default-train.f32');
const test = f32('fmnist-default-test.f32');
if (train.length !== data.train.count * d || test.length !== data.test.count * d) throw new Error('cached features do not match the dataset (2239-d expected)');
const t = performance.now();
const out = await fashionMnistInsightsSection(
  { vectors: train, dimensions: d, labels: data.train.labels },
  { vectors: test, dimensions: d, labels: data.test.labels },
  { pixels: data.test.pixels, size: 784 },
  {
    trainLimit: Number(arg('train', '60000')),
    pcaComponents: Number(arg('pca', '64')),
    onPhase: (p) => console.error(`${p} at ${((performance.now() - t) / 1000).toFixed(1)} s`),
  },
);
console.log(JSON.stringify({ ...out, totalSeconds: Math.round((performance.now() - t) / 100) / 10, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) }, null, 1));
