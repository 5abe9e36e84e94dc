/**
 * ONNX encoder throughput: worker layouts and batching, on a synthetic CNN (three strided 3×3
 * convs + global average pooling, 0.97 GFLOPs per 224² image at width 64) and on the tiny
 * 8×8 test encoder (pure per-image overhead: messaging, preprocessing, session call).
 *
 * Run: npx tsx bench/onnx/onnx-throughput.bench.ts [--images 96] [--width 64] [--repeat 3] [--json]
 * Layouts are interleaved and repeated; the median rate is reported (a shared machine is noisy).
 *
 * Compares, for the same images submitted all at once (as ingest does):
 *   1 worker × 2 intra-op threads, batches ≤ 16   (the default)
 *   2 workers × 1 thread each, batches ≤ 8
 *   1 worker × 2 threads, no batching (batch 1)
 *   1 worker × 1 thread, batches ≤ 16            (reference: one core)
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ModelStore } from '../../src/features/onnx/model-store.js';
import { OnnxImageExtractor } from '../../src/features/onnx/onnx-image.extractor.js';
import type { EncoderPoolOptions } from '../../src/features/onnx/encoder-pool.js';
import type { RgbImage } from '../../src/imaging/types.js';
import { installTinyClip, syntheticCnn } from '../../test/fixtures/onnx/tiny-models.js';

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '3' }, images: { type: 'string', default: '96' }, width: { type: 'string', default: '64' }, json: { type: 'boolean', default: false } } });
const N = Number(values.images);
const WIDTH = Number(values.width);

function randomImage(seed: number, w = 320, h = 256): RgbImage {
  const data = Buffer.alloc(w * h * 3);
  let s = seed * 2654435761 >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width: w, height: h, channels: 3 };
}

async function measure(store: ModelStore, model: string, layout: EncoderPoolOptions, images: RgbImage[]) {
  const e = await OnnxImageExtractor.open(store, model, layout);
  try {
    await Promise.all(images.slice(0, 4).map((im) => e.extract(im))); // warm-up
    const before = { ...e.batchStats };
    // Inference runs in the workers: the main thread's event loop should stay responsive meanwhile.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = performance.now();
    await Promise.all(images.map((im) => e.extract(im)));
    const ms = performance.now() - t0;
    loop.disable();
    const loopDelayP99Ms = Math.round(loop.percentile(99) / 1e5) / 10;
    const batches = e.batchStats.batches - before.batches;
    return { ...layout, images: images.length, ms: Math.round(ms), imagesPerSecond: Math.round((images.length / ms) * 1000 * 10) / 10, meanBatch: Math.round((images.length / batches) * 10) / 10, loopDelayP99Ms };
  } finally {
    await e.close();
  }
}

const dir = path.join(os.tmpdir(), `shoplens-onnx-bench-${process.pid}`);
try {
  await mkdir(path.join(dir, 'synthetic', 'onnx'), { recursive: true });
  await writeFile(path.join(dir, 'synthetic', 'onnx', 'model.onnx'), syntheticCnn(224, WIDTH));
  await writeFile(path.join(dir, 'synthetic', 'manifest.json'), JSON.stringify({
    name: 'synthetic', dimensions: WIDTH * 4,
    image: { model: 'onnx/model.onnx', input: { name: 'pixel_values', width: 224, height: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, resize: { shortestSide: 224 }, output: { name: 'image_embeds' } },
  }));
  await installTinyClip(dir);
  const store = new ModelStore(dir);
  const images = Array.from({ length: N }, (_, i) => randomImage(i + 1));
  const layouts: EncoderPoolOptions[] = [
    { workers: 1, threadsPerWorker: 2, maxBatch: 16 },
    { workers: 2, threadsPerWorker: 1, maxBatch: 8 },
    { workers: 1, threadsPerWorker: 2, maxBatch: 1 },
    { workers: 1, threadsPerWorker: 1, maxBatch: 16 },
  ];
  const rows: Array<Record<string, unknown>> = [];
  const repeat = Number(values.repeat);
  for (const model of ['synthetic', 'tiny-clip']) {
    const set = model === 'tiny-clip' ? Array.from({ length: N * 10 }, (_, i) => randomImage(i + 1, 64, 48)) : images;
    const runs = layouts.map(() => [] as number[]);
    const delays = layouts.map(() => [] as number[]);
    for (let r = 0; r < repeat; r++) {
      for (const [i, layout] of layouts.entries()) {
        const m = await measure(store, model, layout, set);
        runs[i]!.push(m.imagesPerSecond);
        delays[i]!.push(m.loopDelayP99Ms);
      }
    }
    for (const [i, layout] of layouts.entries()) {
      const sorted = [...runs[i]!].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      const loopP99 = Math.max(...delays[i]!);
      rows.push({ model, ...layout, images: set.length, medianImagesPerSecond: median, runs: runs[i], mainThreadLoopDelayP99Ms: loopP99 });
      if (!values.json) process.stdout.write(`${model.padEnd(10)} workers=${layout.workers} threads=${layout.threadsPerWorker} maxBatch=${String(layout.maxBatch).padStart(2)}  median ${String(median).padStart(7)} img/s  (runs: ${runs[i]!.join(', ')}; ${set.length} images each; main-thread loop delay p99 ≤ ${loopP99} ms)\n`);
    }
  }
  const machine = { cpus: os.availableParallelism(), model: os.cpus()[0]?.model ?? 'unknown', loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100) };
  if (values.json) process.stdout.write(`${JSON.stringify({ machine, rows })}\n`);
  else process.stdout.write(`machine: ${machine.cpus} cores (${machine.model}), load ${machine.loadavg.join(' ')}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
