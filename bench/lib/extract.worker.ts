// Extraction worker for datasets.ts: default features for a slice of grey 28×28 images.
import { parentPort, workerData } from 'node:worker_threads';
import { ClassicExtractor, DEFAULT_EXTRACTOR_OPTIONS } from '../../src/features/classic/default.extractor.js';
import { grayToRgb } from '../../src/imaging/index.js';

const { pixels, rows, cols, count } = workerData as { pixels: Uint8Array; rows: number; cols: number; count: number };
const ex = new ClassicExtractor(DEFAULT_EXTRACTOR_OPTIONS);
const dims = ex.identity.dimensions;
const size = rows * cols;
const out = new Float32Array(count * dims);
for (let i = 0; i < count; i++) {
  const img = grayToRgb({ data: pixels.subarray(i * size, (i + 1) * size), width: cols, height: rows, channels: 1 });
  out.set(ex.extractSync(img), i * dims);
  if ((i + 1) % 5000 === 0) parentPort!.postMessage({ progress: i + 1 });
}
parentPort!.postMessage({ vectors: out }, [out.buffer]);
