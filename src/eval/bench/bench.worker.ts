/**
 * Worker thread for the quality bench: feature extraction and exact ranking are CPU-bound pure
 * TypeScript/WebAssembly, so the bench spreads them over cores with one of these per thread.
 * Protocol: see WorkerRequest / WorkerReply in bench-pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { createVectoriser, vectoriseAll } from './bench-extractors.js';
import { ExactRanker } from './exact-ranking.js';
import type { WorkerReply, WorkerRequest } from './bench-pool.js';

if (!parentPort) throw new Error('bench.worker must run in a worker thread');
const port = parentPort;
let ranker: ExactRanker | undefined;

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on('message', (req: WorkerRequest) => {
  try {
    switch (req.type) {
      case 'extract': {
        const v = createVectoriser(req.extractor, req.rows, req.cols);
        if (!v) throw new Error(`unknown extractor ${req.extractor}`);
        const features = vectoriseAll(v, req.pixels, req.count, req.rows, req.cols);
        reply({ type: 'features', id: req.id, features, dimensions: v.dimensions }, [features.buffer as ArrayBuffer]);
        break;
      }
      case 'catalog': {
        ranker = new ExactRanker(req.vectors, req.dimensions, req.labels);
        reply({ type: 'ready', id: req.id });
        break;
      }
      case 'rank': {
        if (!ranker) throw new Error('rank before catalog');
        const totals = ranker.evaluate(req.vectors, req.labels, (done) => reply({ type: 'progress', id: req.id, done }));
        reply({ type: 'totals', id: req.id, totals });
        break;
      }
    }
  } catch (err) {
    reply({ type: 'error', id: req.id, message: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
