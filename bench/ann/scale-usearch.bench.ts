/**
 * Scaling to 1M vectors with shoplens's quantised index (src/index/usearch: UsearchVectorIndex on
 * usearch 2.25, multi-threaded inserts) and, for i8, its recall recovery (RerankedVectorIndex:
 * candidates re-ranked with exact float32 vectors read from SQLite, as the catalog store does).
 * This is the configuration that makes 1M synthetic 512-d vectors feasible on this 2-core machine
 * (hnswlib-node builds single-threaded: 452 s at 100k) and the route to ≤ 1 KB of index memory per
 * product (float32 alone is 2048 B at 512-d).
 *
 * One configuration per process (fresh RSS): same synthetic clustered vectors as scale.bench.ts
 * (syntheticClustered, seed 42). Build = UsearchVectorIndex.upsert in batches of 50k with `threads`
 * insert threads. Memory = RSS growth of a fresh Node process that opens the saved file (this
 * script with --measure-load): the index alone, graph + quantised vectors + keys. The float32
 * vectors used for re-ranking are NOT in it: they live in the SQLite file (the catalog store in
 * shoplens), read per query. Disk = the saved index file. Query = single thread, one query at a
 * time, at each efSearch of the sweep (fixed per instance, so each point reopens the saved file).
 * Reference in the same run: brute force (usearch.exactSearch on the float32 vectors), which is
 * also the ground truth for recall@10.
 *
 *   node --expose-gc --import tsx bench/ann/scale-usearch.bench.ts --n 1000000 --quant i8 [--M 16]
 *     [--ef-add 128] [--ef 64,128,256] [--threads 2] [--queries 1000] [--recall-queries 500]
 *     [--candidates 40,100,200] [--rerank-source sqlite|memory|none]
 *
 * --candidates: candidate-list sizes re-ranked per query (RerankedVectorIndex minCandidates, factor 1;
 * i8 only, default 40,100,200). --rerank-source: where the exact vectors come from (default sqlite:
 * a temp better-sqlite3 file, `key INTEGER PRIMARY KEY, vector BLOB`, read with the same
 * `key IN json_each(?)` query as SqliteCatalogStore.vectorsByKeysSync; memory: a Float32Array, i.e.
 * the re-rank arithmetic alone).
 *
 * Prints one JSON object on stdout (with the machine and the load average at start and end).
 * `npm run bench -- --only scale` runs it through bench/run-all.ts (quick: 10k, full: 100k; i8 and f16).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import usearch from 'usearch';
import { RerankedVectorIndex, type VectorSource } from '../../src/index/reranked.vector-index.js';
import { UsearchVectorIndex, type UsearchQuantization } from '../../src/index/usearch/usearch.vector-index.js';
import { blobToVector, vectorToBlob } from '../../src/catalog/sqlite/vector-blob.js';
import type { VectorIndex } from '../../src/index/vector-index.js';
import { log, machineInfo, percentile, round } from '../lib/common.js';
import { syntheticClustered } from '../lib/datasets.js';

const K = 10;
const DIMS = 512;
const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : dflt;
};

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const rss = (): number => {
  gc();
  gc();
  return process.memoryUsage().rss;
};

/** Child mode: RSS growth from opening the index file (modules are already loaded when r0 is taken). */
async function measureLoad(file: string): Promise<void> {
  const r0 = rss();
  const ix = await UsearchVectorIndex.open(file, { addThreads: 1 });
  console.log(rss() - r0, ix.size());
}

/** RSS growth of a fresh Node process that opens the saved index (nothing else allocated). */
function loadedRss(file: string, n: number): number {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--measure-load', file], { encoding: 'utf8' });
  const [bytes, size] = out.trim().split('\n').pop()!.split(/\s+/).map(Number);
  if (size !== n) throw new Error(`reloaded index has ${size} vectors, expected ${n}`);
  return bytes!;
}

/** The exact vectors by key, from a SQLite file (like the catalog store) or from memory. */
function vectorSource(kind: string, base: Float32Array, n: number, dir: string): { source: VectorSource; close: () => void; how: string } {
  const row = (k: number): Float32Array => base.subarray(k * DIMS, (k + 1) * DIMS);
  if (kind === 'memory') return { source: (keys) => keys.map(row), close: () => undefined, how: 'Float32Array in the bench process (re-rank arithmetic only)' };
  const db = new Database(path.join(dir, 'vectors.sqlite'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE images (key INTEGER PRIMARY KEY, vector BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO images (key, vector) VALUES (?, ?)');
  const t = performance.now();
  for (let from = 0; from < n; from += 50_000) {
    db.transaction(() => {
      for (let k = from; k < Math.min(n, from + 50_000); k++) insert.run(k, vectorToBlob(row(k)));
    })();
  }
  log('scale-usearch', `n=${n}: float32 vectors written to SQLite in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const select = db.prepare('SELECT key, vector FROM images WHERE key IN (SELECT value FROM json_each(?))');
  const source: VectorSource = (keys) => {
    const byKey = new Map((select.all(JSON.stringify(keys)) as { key: number; vector: Buffer }[]).map((r) => [r.key, r.vector]));
    return keys.map((k) => {
      const b = byKey.get(k);
      return b === undefined ? undefined : blobToVector(b);
    });
  };
  return { source, close: () => db.close(), how: 'SQLite file (better-sqlite3, WAL), key INTEGER PRIMARY KEY + float32 BLOB, read with the catalog store\'s `key IN json_each(?)` query; page cache warm after the first pass' };
}

interface Point { efSearch: number; candidates?: number; p50: number; p95: number; qps: number; recallAt10: number; latencyRatioToExactP50: number }

async function main(): Promise<void> {
  const n = Number(arg('--n', '100000'));
  const quant = arg('--quant', 'i8') as UsearchQuantization;
  const M = Number(arg('--M', '16'));
  const efAdd = Number(arg('--ef-add', '128'));
  const efSweep = arg('--ef', '64,128,256').split(',').map(Number);
  const threads = Number(arg('--threads', String(os.cpus().length)));
  const nq = Number(arg('--queries', '1000'));
  const recallQueries = Math.min(nq, Number(arg('--recall-queries', '500')));
  const rerankSource = quant === 'i8' ? arg('--rerank-source', 'sqlite') : 'none';
  const candidateSweep = rerankSource === 'none' ? [] : arg('--candidates', '40,100,200').split(',').map(Number);
  if (!['f32', 'f16', 'i8'].includes(quant)) throw new Error('--quant must be one of f32, f16, i8');

  const machine = machineInfo();
  let t = performance.now();
  const ds = syntheticClustered(n, nq, DIMS);
  log('scale-usearch', `n=${n}: generated vectors in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const query = (i: number): Float32Array => ds.queries.subarray(i * DIMS, (i + 1) * DIMS);

  const before = rss();
  const cpu0 = process.cpuUsage();
  t = performance.now();
  const index = UsearchVectorIndex.create({ dimensions: DIMS, metric: 'cosine', quantization: quant, usearch: { M, efConstruction: efAdd, efSearch: efSweep[0]!, addThreads: threads } });
  const batch = 50_000;
  for (let i = 0; i < n; i += batch) {
    const end = Math.min(n, i + batch);
    const keys = Array.from({ length: end - i }, (_, j) => i + j);
    index.upsert(keys, keys.map((k) => ds.base.subarray(k * DIMS, (k + 1) * DIMS)));
    if (end % 100_000 === 0 || end === n) log('scale-usearch', `n=${n} ${quant}: ${end} added, ${((performance.now() - t) / 1000).toFixed(0)} s, load ${os.loadavg()[0]!.toFixed(2)}`);
  }
  const buildSeconds = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const buildCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const after = rss();
  log('scale-usearch', `n=${n} ${quant} M=${M}: built in ${buildSeconds.toFixed(1)} s on ${threads} threads, RSS +${((after - before) / 2 ** 20).toFixed(0)} MiB`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoplens-bench-scale-usearch-'));
  try {
    const file = path.join(dir, 'index.bin');
    t = performance.now();
    await index.save(file);
    const saveSeconds = (performance.now() - t) / 1000;
    const fileBytes = statSync(file).size;
    const loadedBytes = loadedRss(file, n);
    log('scale-usearch', `n=${n} ${quant}: file ${(fileBytes / 2 ** 20).toFixed(0)} MiB, loaded in a fresh process: RSS +${(loadedBytes / 2 ** 20).toFixed(0)} MiB`);

    // Ground truth and reference: brute force over the float32 vectors.
    t = performance.now();
    const truth = usearch.exactSearch(ds.base, ds.queries.subarray(0, recallQueries * DIMS), DIMS, K, usearch.MetricKind.Cos, threads) as unknown as { keys: BigUint64Array };
    log('scale-usearch', `n=${n}: exact ground truth for ${recallQueries} queries in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const truthSets = Array.from({ length: recallQueries }, (_, i) => new Set(Array.from(truth.keys.subarray(i * K, (i + 1) * K), Number)));
    const exactCount = Math.min(nq, n >= 1_000_000 ? 50 : 200);
    const exactLat = new Float64Array(exactCount);
    for (let i = 0; i < exactCount; i++) {
      const s = performance.now();
      usearch.exactSearch(ds.base, query(i), DIMS, K, usearch.MetricKind.Cos, 1);
      exactLat[i] = performance.now() - s;
    }
    exactLat.sort();
    const exact = { queries: exactCount, p50: round(percentile(exactLat, 50), 3), p95: round(percentile(exactLat, 95), 3) };
    log('scale-usearch', `n=${n}: exact (1 thread) p50 ${exact.p50} ms`);

    const measure = (ix: VectorIndex, efSearch: number, candidates?: number): Point => {
      for (let i = 0; i < 20; i++) ix.search(query(i), K);
      const lat = new Float64Array(nq);
      let hits = 0;
      const t0 = performance.now();
      for (let i = 0; i < nq; i++) {
        const s = performance.now();
        const r = ix.search(query(i), K);
        lat[i] = performance.now() - s;
        if (i < recallQueries) for (const x of r) if (truthSets[i]!.has(x.key)) hits++;
      }
      const qps = nq / ((performance.now() - t0) / 1000);
      lat.sort();
      const p50 = percentile(lat, 50);
      const p: Point = {
        efSearch, ...(candidates === undefined ? {} : { candidates }), p50: round(p50, 3), p95: round(percentile(lat, 95), 3), qps: round(qps, 0),
        recallAt10: round(hits / (recallQueries * K), 4), latencyRatioToExactP50: round(p50 / exact.p50, 4),
      };
      log('scale-usearch', `n=${n} ${quant}: ef ${efSearch}${candidates === undefined ? '' : ` re-rank ${candidates}`} p50 ${p.p50} ms p95 ${p.p95} ms, recall@10 ${p.recallAt10}, load ${os.loadavg()[0]!.toFixed(2)}`);
      return p;
    };

    const src = rerankSource === 'none' ? null : vectorSource(rerankSource, ds.base, n, dir);
    const sweep: Point[] = [];
    const rerank: Point[] = [];
    try {
      for (const ef of efSweep) {
        const ix = ef === efSweep[0] ? index : await UsearchVectorIndex.open(file, { efSearch: ef });
        sweep.push(measure(ix, ef));
        // usearch searches with max(efSearch, candidates): a list shorter than ef is the top of a wider search.
        for (const c of src ? candidateSweep : []) {
          rerank.push(measure(new RerankedVectorIndex(ix, src!.source, { factor: 1, minCandidates: c }), ef, c));
        }
      }
    } finally {
      src?.close();
    }

    console.log(JSON.stringify({
      n, dims: DIMS, metric: 'cosine', library: 'usearch 2.25.3 via src/index/usearch/usearch.vector-index.ts',
      params: { quantization: quant, M, efConstruction: efAdd, buildThreads: threads },
      buildSeconds: round(buildSeconds, 1), buildCpuSeconds: round(buildCpuSeconds, 1), buildVectorsPerSecond: round(n / buildSeconds, 0), saveSeconds: round(saveSeconds, 1),
      memory: {
        loadedRssDeltaBytes: loadedBytes, loadedRssBytesPerVector: round(loadedBytes / n, 0),
        buildRssDeltaBytes: after - before, buildRssBytesPerVector: round((after - before) / n, 0), rawFloat32BytesPerVector: DIMS * 4,
        how: 'loaded: RSS of a fresh Node process after UsearchVectorIndex.open(file) minus its RSS just before (the index alone: graph + quantised vectors + keys; re-rank vectors stay in SQLite). build: RSS delta in this process around the build, which under-counts when the allocator reuses memory freed after generating the vectors',
      },
      disk: { fileBytes, bytesPerVector: round(fileBytes / n, 1) },
      exactReference: { how: 'usearch.exactSearch brute force on float32, 1 thread, one query at a time', ...exact },
      sweep,
      rerank: src ? { source: rerankSource, how: src.how, points: rerank } : null,
      queries: nq, recallQueries,
      machine, loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (argv[0] === '--measure-load') await measureLoad(argv[1]!);
else await main();
