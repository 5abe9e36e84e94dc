// One of the search threads of the 2-thread measurement: its own copy of the index (opened from
// the saved file, with the efSearch under test), searching its share of the queries.
import { parentPort, workerData } from 'node:worker_threads';
import { HnswVectorIndex } from '../../src/index/hnsw/hnsw.vector-index.js';

const { file, queries, dims, k } = workerData as { file: string; queries: Float32Array; dims: number; k: number };
const nq = queries.length / dims;
let index: HnswVectorIndex | null = null;

parentPort!.on('message', (m: { cmd: 'open'; ef: number } | { cmd: 'go' }) => {
  void (async () => {
    if (m.cmd === 'open') {
      index = await HnswVectorIndex.open(file, { efSearch: m.ef });
      for (let i = 0; i < Math.min(20, nq); i++) index.search(queries.subarray(i * dims, (i + 1) * dims), k);
      parentPort!.postMessage({ ready: true });
      return;
    }
    const ids = new Float64Array(nq * k).fill(-1);
    const t = performance.now();
    for (let i = 0; i < nq; i++) {
      const res = index!.search(queries.subarray(i * dims, (i + 1) * dims), k);
      for (let j = 0; j < res.length; j++) ids[i * k + j] = res[j]!.key;
    }
    parentPort!.postMessage({ ms: performance.now() - t, ids }, [ids.buffer]);
  })();
});
