/**
 * Scaling to 1M vectors with a quantised, multi-threaded HNSW (usearch 2.25): the configuration
 * that makes 1M synthetic 512-d vectors feasible on this 2-core machine (hnswlib-node builds
 * single-threaded: 452 s at 100k, so 1M would take well over an hour) and the route to ≤ 1 KB of
 * index memory per product (float32 alone is 2048 B at 512-d).
 *
 * One configuration per process (fresh RSS): same synthetic clustered vectors as scale.bench.ts
 * (syntheticClustered, seed 42). Build = usearch Index.add in batches with `threads` threads.
 * Memory = RSS after gc() minus RSS after gc() just before creating the index (the vectors were
 * generated before), so the delta is the native graph + the quantised vectors + the key table.
 * Disk = the saved file. Query = single-thread search, one query at a time, at each efSearch of the
 * sweep (usearch fixes expansion_search at construction, so each point reloads the saved file).
 * Reference in the same run: brute force (usearch.exactSearch on the float32 vectors), which is
 * also the ground truth for recall@10.
 *
 *   node --expose-gc --import tsx bench/ann/scale-usearch.bench.ts --n 1000000 --quant i8 [--M 16]
 *     [--ef-add 128] [--ef 64,128,256] [--threads 2] [--queries 1000] [--recall-queries 500]
 *
 * Prints one JSON object on stdout (with the machine and the load average at start and end).
 * `npm run bench -- --only scale` runs it through bench/run-all.ts (quick: 10k, full: 100k; i8 and f16).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import usearch from 'usearch';
import { log, machineInfo, percentile, round } from '../lib/common.js';
import { syntheticClustered } from '../lib/datasets.js';

const K = 10;
const DIMS = 512;
const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : dflt;
};
const n = Number(arg('--n', '100000'));
const quant = arg('--quant', 'i8') as 'f32' | 'f16' | 'i8' | 'bf16';
const M = Number(arg('--M', '16'));
const efAdd = Number(arg('--ef-add', '128'));
const efSweep = arg('--ef', '64,128,256').split(',').map(Number);
const threads = Number(arg('--threads', String(os.cpus().length)));
const nq = Number(arg('--queries', '1000'));
const recallQueries = Math.min(nq, Number(arg('--recall-queries', '500')));

const QUANT: Record<string, (typeof usearch.ScalarKind)[keyof typeof usearch.ScalarKind]> = {
  f32: usearch.ScalarKind.F32, f16: usearch.ScalarKind.F16, bf16: usearch.ScalarKind.BF16, i8: usearch.ScalarKind.I8,
};

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const rss = (): number => {
  gc();
  gc();
  return process.memoryUsage().rss;
};

function config(ef: number): ConstructorParameters<typeof usearch.Index>[0] {
  return {
    dimensions: DIMS, metric: usearch.MetricKind.Cos, quantization: QUANT[quant]!,
    connectivity: M, expansion_add: efAdd, expansion_search: ef, multi: false,
  } as ConstructorParameters<typeof usearch.Index>[0];
}

/** RSS growth of a fresh Node process that loads the saved index (nothing else allocated). */
function loadedRss(file: string): number {
  const script = `import usearch from 'usearch';
const gc = globalThis.gc; gc(); const r0 = process.memoryUsage().rss;
const ix = new usearch.Index(${JSON.stringify(config(efSweep[0]!))});
ix.load(${JSON.stringify(file)}); gc();
console.log(process.memoryUsage().rss - r0, ix.size());`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: path.dirname(new URL(import.meta.url).pathname), encoding: 'utf8' });
  const [bytes, size] = out.trim().split(/\s+/).map(Number);
  if (size !== n) throw new Error(`reloaded index has ${size} vectors, expected ${n}`);
  return bytes!;
}

async function main(): Promise<void> {
  if (!QUANT[quant]) throw new Error(`--quant must be one of ${Object.keys(QUANT).join(', ')}`);
  const machine = machineInfo();
  let t = performance.now();
  const ds = syntheticClustered(n, nq, DIMS);
  log('scale-usearch', `n=${n}: generated vectors in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const before = rss();
  const cpu0 = process.cpuUsage();
  t = performance.now();
  const index = new usearch.Index(config(efSweep[0]!));
  const batch = 50_000;
  for (let i = 0; i < n; i += batch) {
    const end = Math.min(n, i + batch);
    const keys = new BigUint64Array(end - i);
    for (let j = 0; j < keys.length; j++) keys[j] = BigInt(i + j);
    index.add(keys, ds.base.subarray(i * DIMS, end * DIMS), threads);
    if (end % 200_000 === 0 || end === n) log('scale-usearch', `n=${n} ${quant}: ${end} added, ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  const buildSeconds = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const buildCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const after = rss();
  log('scale-usearch', `n=${n} ${quant} M=${M}: built in ${buildSeconds.toFixed(1)} s on ${threads} threads, RSS +${((after - before) / 2 ** 20).toFixed(0)} MiB`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoplens-bench-scale-usearch-'));
  try {
    const file = path.join(dir, 'i.usearch');
    t = performance.now();
    index.save(file);
    const saveSeconds = (performance.now() - t) / 1000;
    const fileBytes = statSync(file).size;
    const loadedBytes = loadedRss(file);
    log('scale-usearch', `n=${n} ${quant}: file ${(fileBytes / 2 ** 20).toFixed(0)} MiB, loaded in a fresh process: RSS +${(loadedBytes / 2 ** 20).toFixed(0)} MiB`);

    // Ground truth and reference: brute force over the float32 vectors.
    t = performance.now();
    const truth = usearch.exactSearch(ds.base, ds.queries.subarray(0, recallQueries * DIMS), DIMS, K, usearch.MetricKind.Cos, threads) as unknown as { keys: BigUint64Array };
    log('scale-usearch', `n=${n}: exact ground truth for ${recallQueries} queries in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const exactCount = Math.min(nq, n >= 1_000_000 ? 50 : 200);
    const exactLat = new Float64Array(exactCount);
    for (let i = 0; i < exactCount; i++) {
      const s = performance.now();
      usearch.exactSearch(ds.base, ds.queries.subarray(i * DIMS, (i + 1) * DIMS), DIMS, K, usearch.MetricKind.Cos, 1);
      exactLat[i] = performance.now() - s;
    }
    exactLat.sort();
    const exact = { queries: exactCount, p50: round(percentile(exactLat, 50), 3), p95: round(percentile(exactLat, 95), 3) };
    log('scale-usearch', `n=${n}: exact (1 thread) p50 ${exact.p50} ms`);

    const sweep: { efSearch: number; p50: number; p95: number; qps: number; recallAt10: number; latencyRatioToExactP50: number }[] = [];
    for (const ef of efSweep) {
      const ix = ef === efSweep[0] ? index : new usearch.Index(config(ef));
      if (ix !== index) ix.load(file);
      for (let i = 0; i < 20; i++) ix.search(ds.queries.subarray(i * DIMS, (i + 1) * DIMS), K, 1);
      const lat = new Float64Array(nq);
      let hits = 0;
      const t0 = performance.now();
      for (let i = 0; i < nq; i++) {
        const s = performance.now();
        const r = ix.search(ds.queries.subarray(i * DIMS, (i + 1) * DIMS), K, 1) as unknown as { keys: BigUint64Array };
        lat[i] = performance.now() - s;
        if (i < recallQueries) {
          const want = new Set(Array.from(truth.keys.subarray(i * K, (i + 1) * K), Number));
          for (const k of r.keys) if (want.has(Number(k))) hits++;
        }
      }
      const qps = nq / ((performance.now() - t0) / 1000);
      lat.sort();
      const p50 = percentile(lat, 50);
      sweep.push({
        efSearch: ef, p50: round(p50, 3), p95: round(percentile(lat, 95), 3), qps: round(qps, 0),
        recallAt10: round(hits / (recallQueries * K), 4), latencyRatioToExactP50: round(p50 / exact.p50, 4),
      });
      log('scale-usearch', `n=${n} ${quant}: ef ${ef} p50 ${round(p50, 3)} ms, recall@10 ${round(hits / (recallQueries * K), 4)}`);
    }

    console.log(JSON.stringify({
      n, dims: DIMS, metric: 'cosine', library: 'usearch 2.25.3',
      params: { quantization: quant, M, efConstruction: efAdd, buildThreads: threads },
      buildSeconds: round(buildSeconds, 1), buildCpuSeconds: round(buildCpuSeconds, 1), buildVectorsPerSecond: round(n / buildSeconds, 0), saveSeconds: round(saveSeconds, 1),
      memory: {
        loadedRssDeltaBytes: loadedBytes, loadedRssBytesPerVector: round(loadedBytes / n, 0),
        buildRssDeltaBytes: after - before, buildRssBytesPerVector: round((after - before) / n, 0), rawFloat32BytesPerVector: DIMS * 4,
        how: 'loaded: RSS of a fresh Node process after Index.load(file) minus its RSS just before (the index alone: graph + quantised vectors + keys). build: RSS delta in this process around the build, which under-counts when the allocator reuses memory freed after generating the vectors',
      },
      disk: { fileBytes, bytesPerVector: round(fileBytes / n, 1) },
      exactReference: { how: 'usearch.exactSearch brute force on float32, 1 thread, one query at a time', ...exact },
      sweep, queries: nq, recallQueries,
      machine, loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
