/**
 * Vector sets for the ANN benchmark: Fashion-MNIST raw pixels, Fashion-MNIST through the default
 * extractor, and synthetic clustered 512-d vectors. Each is flat row-major Float32Array.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { readFashionMnist, takeFirst, type LabelledImages } from '../../src/eval/datasets/fashion-mnist.reader.js';
import { createDefaultExtractor } from '../../src/features/classic/default.extractor.js';
import { log, tsWorker } from './common.js';
import { seededRandom } from '../../src/eval/random.js';

export interface VectorSet {
  name: string;
  metric: 'cosine' | 'euclidean';
  dims: number;
  n: number;
  base: Float32Array;
  nq: number;
  queries: Float32Array;
  /** How the vectors were made (and what making them cost), for the report. */
  notes: Record<string, unknown>;
}

export function row(data: Float32Array, dims: number, i: number): Float32Array {
  return data.subarray(i * dims, (i + 1) * dims);
}

/** Fashion-MNIST pixels as floats 0..255, no normalisation, L2 distance (the classic ANN setup). */
export async function fashionRaw(nBase: number, nQueries: number): Promise<VectorSet> {
  const fm = await readFashionMnist();
  const train = takeFirst(fm.train, nBase), test = takeFirst(fm.test, nQueries);
  return {
    name: 'fashion-mnist-raw-784', metric: 'euclidean', dims: 784,
    n: train.count, base: Float32Array.from(train.pixels), nq: test.count, queries: Float32Array.from(test.pixels),
    notes: { base: `first ${train.count} train images`, queries: `first ${test.count} test images`, vectors: 'pixel values 0..255 as float32' },
  };
}

/**
 * Fashion-MNIST through createDefaultExtractor(): each 28×28 grey image is replicated to RGB (as an
 * uploaded grey photo reaches the extractor). Extraction runs in `threads` worker threads.
 */
export async function fashionDefaultFeatures(nBase: number, nQueries: number, threads = Math.min(2, os.cpus().length)): Promise<VectorSet> {
  const fm = await readFashionMnist();
  const train = takeFirst(fm.train, nBase), test = takeFirst(fm.test, nQueries);
  const dims = createDefaultExtractor().identity.dimensions;
  const started = performance.now();
  const base = await extractAll(train, dims, threads, 'train');
  const queries = await extractAll(test, dims, threads, 'test');
  const seconds = (performance.now() - started) / 1000;
  const images = train.count + test.count;
  log('datasets', `extracted ${images} images (${dims}-d) in ${seconds.toFixed(1)} s with ${threads} threads`);
  return {
    name: 'fashion-mnist-default-features', metric: 'cosine', dims,
    n: train.count, base, nq: test.count, queries,
    notes: {
      base: `first ${train.count} train images`, queries: `first ${test.count} test images`,
      vectors: `createDefaultExtractor() on the 28×28 grey image replicated to RGB, ${dims}-d, L2-normalised`,
      extraction: { images, seconds: Math.round(seconds * 10) / 10, threads, imagesPerSecond: Math.round(images / seconds) },
    },
  };
}

async function extractAll(split: LabelledImages, dims: number, threads: number, label: string): Promise<Float32Array> {
  const size = split.rows * split.cols;
  const out = new Float32Array(split.count * dims);
  const per = Math.ceil(split.count / threads);
  await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const from = t * per, to = Math.min(split.count, from + per);
      if (from >= to) return Promise.resolve();
      const pixels = split.pixels.slice(from * size, to * size);
      return new Promise<void>((resolve, reject) => {
        const w = tsWorker(new URL('./extract.worker.ts', import.meta.url), { pixels, rows: split.rows, cols: split.cols, count: to - from });
        w.on('message', (m: { progress?: number; vectors?: Float32Array }) => {
          if (m.progress !== undefined) {
            if (t === 0) log('datasets', `${label}: ~${m.progress * threads} / ${split.count} extracted`);
            return;
          }
          out.set(m.vectors!, from * dims);
          void w.terminate();
          resolve();
        });
        w.on('error', reject);
      });
    }),
  );
  return out;
}

/** Seeded PRNG (src/eval/random.ts) so every process regenerates the same vectors. */
export const prng = seededRandom;

export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * Clustered vectors with a low intrinsic dimension, like image embeddings (same generator as
 * bench/ann-pick): a cluster centre, plus a point in a 48-d latent subspace shared by all
 * clusters, plus small isotropic noise. Queries come from the same distribution (other seed draws).
 */
export function syntheticClustered(n: number, nq: number, dims = 512, clusters = 200, seed = 42): VectorSet {
  const g = gaussian(prng(seed));
  const latent = 48;
  const centres = Float32Array.from({ length: clusters * dims }, () => g());
  const proj = Float32Array.from({ length: latent * dims }, () => g() / Math.sqrt(latent));
  const make = (count: number): Float32Array => {
    const out = new Float32Array(count * dims);
    const z = new Float32Array(latent);
    for (let i = 0; i < count; i++) {
      const c = Math.floor(Math.abs(g() * 1e6)) % clusters;
      for (let l = 0; l < latent; l++) z[l] = g() * 0.8;
      const r = i * dims;
      for (let d = 0; d < dims; d++) out[r + d] = centres[c * dims + d]! + g() * 0.3;
      for (let l = 0; l < latent; l++) {
        const zl = z[l]!, prow = l * dims;
        for (let d = 0; d < dims; d++) out[r + d]! += zl * proj[prow + d]!;
      }
      let s = 0;
      for (let d = 0; d < dims; d++) s += out[r + d]! * out[r + d]!;
      const inv = 1 / Math.sqrt(s);
      for (let d = 0; d < dims; d++) out[r + d]! *= inv;
    }
    return out;
  };
  return {
    name: `synthetic-clustered-${dims}`, metric: 'cosine', dims, n, base: make(n), nq, queries: make(nq),
    notes: { vectors: `${clusters} clusters + 48-d shared latent subspace + isotropic noise, L2-normalised, seed ${seed}` },
  };
}

/** Matrix file for faiss_hnsw.py: int32 rows, int32 cols, then row-major float32 (or int32) data. */
export function writeMatrix(file: string, data: Float32Array | Int32Array, rows: number, cols: number): void {
  const head = Buffer.alloc(8);
  head.writeInt32LE(rows, 0);
  head.writeInt32LE(cols, 4);
  writeFileSync(file, Buffer.concat([head, Buffer.from(data.buffer, data.byteOffset, rows * cols * 4)]));
}
