/**
 * How cost grows with catalogue size: synthetic clustered 512-d cosine vectors, our default HNSW
 * parameters (DEFAULT_HNSW_OPTIONS: M=32, efConstruction=128, efSearch=128). Run in a fresh
 * process per size (with --expose-gc) so the memory delta is this index's alone.
 *
 *   node --expose-gc --import tsx bench/ann/scale.bench.ts --n 100000 [--quick]
 *
 * Prints one JSON object on stdout.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExactVectorIndex } from '../../src/index/exact/exact.vector-index.js';
import { DEFAULT_HNSW_OPTIONS, HnswVectorIndex } from '../../src/index/hnsw/hnsw.vector-index.js';
import { log, percentile, round } from '../lib/common.js';
import { row, syntheticClustered } from '../lib/datasets.js';

const K = 10;
const argv = process.argv.slice(2);
const n = Number(argv[argv.indexOf('--n') + 1]);
const quick = argv.includes('--quick');
const nq = quick ? 300 : 1000;
const recallQueries = quick ? 100 : 200;

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mem = (): { rss: number; heap: number; external: number } => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
};

async function main(): Promise<void> {
  let t = performance.now();
  const ds = syntheticClustered(n, nq, 512);
  log('scale', `n=${n}: generated vectors in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const keys = Array.from({ length: n }, (_, i) => i);
  const before = mem();
  t = performance.now();
  const ix = HnswVectorIndex.create({ dimensions: 512, metric: 'cosine', hnsw: { initialCapacity: n } });
  const batch = 2000;
  for (let i = 0; i < n; i += batch) {
    const ks = keys.slice(i, i + batch);
    ix.upsert(ks, ks.map((k) => row(ds.base, 512, k)));
    if ((i / batch) % 50 === 0 && i > 0) log('scale', `n=${n}: ${i} inserted, ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  const buildSeconds = (performance.now() - t) / 1000;
  const after = mem();
  log('scale', `n=${n}: built in ${buildSeconds.toFixed(1)} s, RSS +${((after.rss - before.rss) / 2 ** 20).toFixed(0)} MiB`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoplens-bench-scale-'));
  let fileBytes = 0;
  try {
    const file = path.join(dir, 'i.hnsw');
    await ix.save(file);
    fileBytes = statSync(file).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const latency = (search: (q: Float32Array) => unknown, count: number): { p50: number; p95: number; qps: number } => {
    for (let i = 0; i < Math.min(20, count); i++) search(row(ds.queries, 512, i));
    const lat = new Float64Array(count);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const s = performance.now();
      search(row(ds.queries, 512, i));
      lat[i] = performance.now() - s;
    }
    const qps = count / ((performance.now() - t0) / 1000);
    lat.sort();
    return { p50: round(percentile(lat, 50), 3), p95: round(percentile(lat, 95), 3), qps: round(qps, 1) };
  };
  const ours = latency((q) => ix.search(q, K), nq);
  log('scale', `n=${n}: ours ef ${ix.options.efSearch} p50 ${ours.p50} ms p95 ${ours.p95} ms`);

  // Reference in the same process: exact scan at the same size (fewer queries: it is slow at 1M).
  const exact = new ExactVectorIndex({ dimensions: 512, metric: 'cosine', initialCapacity: n });
  for (let i = 0; i < n; i += 10000) {
    const ks = keys.slice(i, i + 10000);
    exact.upsert(ks, ks.map((k) => row(ds.base, 512, k)));
  }
  let hits = 0;
  for (let i = 0; i < recallQueries; i++) {
    const q = row(ds.queries, 512, i);
    const truth = new Set(exact.search(q, K).map((r) => r.key));
    for (const r of ix.search(q, K)) if (truth.has(r.key)) hits++;
  }
  const exactLat = latency((q) => exact.search(q, K), Math.min(nq, n >= 1_000_000 ? 50 : n >= 100_000 ? 200 : nq));
  log('scale', `n=${n}: exact p50 ${exactLat.p50} ms; recall@10 ${(hits / (recallQueries * K)).toFixed(4)}`);

  console.log(JSON.stringify({
    n, dims: 512, metric: 'cosine', params: { ...DEFAULT_HNSW_OPTIONS, initialCapacity: n },
    buildSeconds: round(buildSeconds, 1),
    buildVectorsPerSecond: round(n / buildSeconds, 0),
    memory: {
      rssDeltaBytes: after.rss - before.rss,
      heapDeltaBytes: after.heap - before.heap,
      rssBytesPerVector: round((after.rss - before.rss) / n, 0),
      rawFloat32BytesPerVector: 512 * 4,
      how: 'process RSS after gc() minus RSS after gc() just before creating the index; the input vectors were generated before the first reading, so the delta is the native hnswlib graph + its float32 copy of the vectors + the wrapper\'s key maps',
    },
    disk: { fileBytes, bytesPerVector: round(fileBytes / n, 1) },
    query: { efSearch: ix.options.efSearch, k: K, queries: nq, ...ours },
    exactReference: { queries: Math.min(nq, n >= 1_000_000 ? 50 : n >= 100_000 ? 200 : nq), ...exactLat },
    latencyRatioOursToExactP50: round(ours.p50 / exactLat.p50, 4),
    recallAt10: round(hits / (recallQueries * K), 4),
    recallQueries,
  }));
}

await main();
