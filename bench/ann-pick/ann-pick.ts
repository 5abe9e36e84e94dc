/**
 * Measures the two candidate embedded ANN libraries (usearch 2.25.3, hnswlib-node 3.0.0) on
 * the workloads shoplens cares about, so the choice behind src/index/hnsw/ rests on figures.
 *
 *   npx tsx bench/ann-pick/ann-pick.ts            # full run (Fashion-MNIST 60k + synthetic 100k)
 *   ANN_PICK_QUICK=1 npx tsx bench/ann-pick/ann-pick.ts   # smaller, for a smoke run
 *
 * Writes one JSON document to stdout; progress goes to stderr.
 * Each (library, dataset) pair runs in a forked child process so that RSS deltas are not
 * polluted by the other library's allocations. Ground truth comes from usearch's brute-force
 * `exactSearch` (native, multi-threaded) and is cross-checked on a few queries against a plain
 * JS cosine scan, so the reference does not silently depend on one of the candidates.
 */
import { fork } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { readFileSync, writeFileSync, statSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, cpus, totalmem, platform, arch } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import usearch from 'usearch';
import hnswlib from 'hnswlib-node';
import { syntheticClustered } from '../lib/datasets.js';

const require = createRequire(import.meta.url);
const QUICK = process.env['ANN_PICK_QUICK'] === '1';
const K = 10;
const M = 16;
const EF_CONSTRUCTION = 128;
const EF_SEARCH = [16, 32, 64, 128, 256];
const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

type LibName = 'usearch' | 'hnswlib-node';
type DatasetName = 'fashion-mnist-784' | 'synthetic-clustered-512';

interface Dataset {
  name: DatasetName;
  dims: number;
  base: Float32Array; // n * dims
  n: number;
  queries: Float32Array; // q * dims
  q: number;
}

const log = (msg: string): void => { process.stderr.write(`[ann-pick ${process.pid}] ${msg}\n`); };

// ---------------------------------------------------------------- datasets

function readIdxImages(file: string, limit: number): { data: Float32Array; count: number; dims: number } {
  const buf = gunzipSync(readFileSync(file));
  const magic = buf.readUInt32BE(0);
  if (magic !== 0x00000803) throw new Error(`${file}: not an IDX3 image file (magic ${magic.toString(16)})`);
  const count = Math.min(buf.readUInt32BE(4), limit);
  const dims = buf.readUInt32BE(8) * buf.readUInt32BE(12);
  const data = new Float32Array(count * dims);
  for (let i = 0; i < count * dims; i++) data[i] = buf[16 + i]! / 255;
  return { data, count, dims };
}

function fashionMnist(): Dataset {
  const base = readIdxImages(join(FASHION_DIR, 'train-images-idx3-ubyte.gz'), QUICK ? 10_000 : 60_000);
  const queries = readIdxImages(join(FASHION_DIR, 't10k-images-idx3-ubyte.gz'), QUICK ? 200 : 1_000);
  return { name: 'fashion-mnist-784', dims: base.dims, base: base.data, n: base.count, queries: queries.data, q: queries.count };
}


function loadDataset(name: DatasetName): Dataset {
  return name === 'fashion-mnist-784'
    ? fashionMnist()
    : synthetic(QUICK ? 20_000 : 100_000, QUICK ? 200 : 1_000);
}

/** The shared clustered 512-d generator (bench/lib/datasets.ts); L2-normalised, which changes nothing under cosine. */
function synthetic(n: number, q: number): Dataset {
  const s = syntheticClustered(n, q, 512, 200, 42);
  return { name: 'synthetic-clustered-512', dims: s.dims, base: s.base, n: s.n, queries: s.queries, q: s.nq };
}

// ---------------------------------------------------------------- ground truth

function groundTruth(ds: Dataset): Int32Array {
  const res = usearch.exactSearch(ds.base, ds.queries, ds.dims, K, usearch.MetricKind.Cos, 0) as unknown as {
    keys: BigUint64Array;
  };
  const out = new Int32Array(ds.q * K);
  for (let i = 0; i < ds.q * K; i++) out[i] = Number(res.keys[i]!);
  // Cross-check a few queries with a plain JS scan (similarities compared, so ties do not matter).
  for (let qi = 0; qi < 5; qi++) {
    const qv = ds.queries.subarray(qi * ds.dims, (qi + 1) * ds.dims);
    const sims: number[] = [];
    for (let i = 0; i < ds.n; i++) sims.push(cos(qv, ds.base.subarray(i * ds.dims, (i + 1) * ds.dims)));
    const kth = [...sims].sort((a, b) => b - a)[K - 1]!;
    for (let j = 0; j < K; j++) {
      const s = sims[out[qi * K + j]!]!;
      if (s < kth - 1e-4) throw new Error(`ground truth disagrees with JS scan on query ${qi}`);
    }
  }
  return out;
}

function cos(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! * a[i]!; bb += b[i]! * b[i]!; }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

function recallAt(found: number[][], truth: Int32Array): number {
  let hit = 0;
  found.forEach((keys, qi) => {
    const t = new Set(Array.from(truth.subarray(qi * K, (qi + 1) * K)));
    for (const k of keys.slice(0, K)) if (t.has(k)) hit++;
  });
  return hit / (found.length * K);
}

// ---------------------------------------------------------------- per-library workers

interface EfResult { ef: number; recallAt10: number; qps: number; p50ms: number; p99ms: number }
interface LibResult {
  library: LibName;
  version: string;
  dataset: DatasetName;
  n: number;
  dims: number;
  queries: number;
  params: { M: number; efConstruction: number };
  buildSeconds: number;
  buildThreads: number;
  rssDeltaMB: number;
  fileSizeMB: number;
  loadSeconds: number;
  search: EfResult[];
}

function timeQueries(ds: Dataset, truth: Int32Array, run: (q: Float32Array) => number[]): Omit<EfResult, 'ef'> {
  // Warm-up pass so JIT and caches do not distort the first ef setting.
  for (let i = 0; i < Math.min(50, ds.q); i++) run(ds.queries.subarray(i * ds.dims, (i + 1) * ds.dims));
  const found: number[][] = [];
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < ds.q; i++) {
    const s = performance.now();
    found.push(run(ds.queries.subarray(i * ds.dims, (i + 1) * ds.dims)));
    lat.push(performance.now() - s);
  }
  const total = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return {
    recallAt10: round(recallAt(found, truth), 4),
    qps: Math.round(ds.q / total),
    p50ms: round(lat[Math.floor(lat.length * 0.5)]!, 3),
    p99ms: round(lat[Math.floor(lat.length * 0.99)]!, 3),
  };
}

const round = (x: number, d: number): number => Number(x.toFixed(d));
const rssMB = (): number => process.memoryUsage().rss / 2 ** 20;

function runUsearch(ds: Dataset, truth: Int32Array, dir: string): LibResult {
  const cfg = (ef: number) => ({
    dimensions: ds.dims, metric: usearch.MetricKind.Cos, quantization: usearch.ScalarKind.F32,
    connectivity: M, expansion_add: EF_CONSTRUCTION, expansion_search: ef, multi: false,
  });
  const rss0 = rssMB();
  const t0 = performance.now();
  const index = new usearch.Index(cfg(64));
  const keys = BigUint64Array.from({ length: ds.n }, (_, i) => BigInt(i));
  index.add(keys, ds.base, 1); // single thread, to compare like with like
  const buildSeconds = (performance.now() - t0) / 1000;
  const rssDeltaMB = rssMB() - rss0;
  const file = join(dir, 'usearch.idx');
  index.save(file);
  const search: EfResult[] = [];
  let loadSeconds = 0;
  for (const ef of EF_SEARCH) {
    // usearch 2.25 exposes no setter for expansion_search: it is fixed at construction, and
    // load() keeps the constructing config, so one loaded copy per ef setting.
    const l0 = performance.now();
    const loaded = new usearch.Index(cfg(ef));
    loaded.load(file);
    if (ef === 64) loadSeconds = (performance.now() - l0) / 1000;
    search.push({ ef, ...timeQueries(ds, truth, (q) => {
      const m = loaded.search(q, K, 1);
      return Array.from(m.keys, Number);
    }) });
  }
  return {
    library: 'usearch', version: pkgVersion('usearch'), dataset: ds.name, n: ds.n, dims: ds.dims, queries: ds.q,
    params: { M, efConstruction: EF_CONSTRUCTION }, buildSeconds: round(buildSeconds, 2), buildThreads: 1,
    rssDeltaMB: Math.round(rssDeltaMB), fileSizeMB: round(statSync(file).size / 2 ** 20, 1),
    loadSeconds: round(loadSeconds, 3), search,
  };
}

function runHnswlib(ds: Dataset, truth: Int32Array, dir: string): LibResult {
  const rss0 = rssMB();
  const t0 = performance.now();
  const index = new hnswlib.HierarchicalNSW('cosine', ds.dims);
  index.initIndex({ maxElements: ds.n, m: M, efConstruction: EF_CONSTRUCTION, randomSeed: 100 });
  // hnswlib-node accepts plain number[] only: the conversion is part of its real insert cost.
  for (let i = 0; i < ds.n; i++) index.addPoint(Array.from(ds.base.subarray(i * ds.dims, (i + 1) * ds.dims)), i);
  const buildSeconds = (performance.now() - t0) / 1000;
  const rssDeltaMB = rssMB() - rss0;
  const file = join(dir, 'hnswlib.idx');
  index.writeIndexSync(file);
  const l0 = performance.now();
  const loaded = new hnswlib.HierarchicalNSW('cosine', ds.dims);
  loaded.readIndexSync(file);
  const loadSeconds = (performance.now() - l0) / 1000;
  const search: EfResult[] = [];
  for (const ef of EF_SEARCH) {
    loaded.setEf(ef);
    search.push({ ef, ...timeQueries(ds, truth, (q) => loaded.searchKnn(Array.from(q), K).neighbors) });
  }
  return {
    library: 'hnswlib-node', version: pkgVersion('hnswlib-node'), dataset: ds.name, n: ds.n, dims: ds.dims,
    queries: ds.q, params: { M, efConstruction: EF_CONSTRUCTION }, buildSeconds: round(buildSeconds, 2),
    buildThreads: 1, rssDeltaMB: Math.round(rssDeltaMB), fileSizeMB: round(statSync(file).size / 2 ** 20, 1),
    loadSeconds: round(loadSeconds, 3), search,
  };
}

function pkgVersion(name: string): string {
  // usearch's `exports` map hides package.json, so read it from the resolved package folder.
  const entry = require.resolve(name);
  const root = entry.slice(0, entry.lastIndexOf(`node_modules/${name}/`) + `node_modules/${name}/`.length);
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

// ---------------------------------------------------------------- capability probes

type Probe = { supported: boolean; note: string };

function tryProbe(fn: () => Probe): Probe {
  try { return fn(); } catch (err) { return { supported: false, note: `threw: ${(err as Error).message}` }; }
}

function probeUsearch(dir: string): Record<string, Probe> {
  const dims = 8;
  const mk = (ef = 64) => new usearch.Index({ dimensions: dims, metric: usearch.MetricKind.Cos, quantization: usearch.ScalarKind.F32, connectivity: 16, expansion_add: 64, expansion_search: ef, multi: false });
  const vec = (s: number) => Float32Array.from({ length: dims }, (_, i) => Math.sin(s * 7 + i) + 1.5);
  const fill = (ix: InstanceType<typeof usearch.Index>, n: number) => { for (let i = 0; i < n; i++) ix.add(BigInt(i), vec(i), 1); };
  return {
    filteredSearch: { supported: false, note: 'JS binding has no predicate/filter argument on search(); only over-fetch + post-filter is possible' },
    removal: tryProbe(() => {
      const ix = mk(); fill(ix, 100); ix.remove(5n);
      const m = ix.search(vec(5), 100, 1);
      return { supported: !Array.from(m.keys).includes(5n) && !ix.contains(5n), note: 'remove(keys) tombstones; removed key not returned' };
    }),
    upsertExistingKey: tryProbe(() => {
      const ix = mk(); fill(ix, 10);
      try { ix.add(3n, vec(999), 1); } catch (err) {
        return { supported: false, note: `add() of an existing key throws (${(err as Error).message}); must remove() then add()` };
      }
      return { supported: ix.count(3n) === 1, note: `add() of an existing key accepted; count(3)=${String(ix.count(3n))}` };
    }),
    saveLoad: tryProbe(() => {
      const ix = mk(); fill(ix, 100); const f = join(dir, 'probe-usearch.idx'); ix.save(f);
      const ix2 = mk(); ix2.load(f);
      return { supported: ix2.size() === 100, note: 'save(path)/load(path), synchronous, file paths only' };
    }),
    growth: tryProbe(() => {
      const ix = mk(); fill(ix, 3000);
      return { supported: ix.size() === 3000, note: `add() reserves capacity itself (capacity now ${ix.capacity()})` };
    }),
    keysAbove2pow32: tryProbe(() => {
      const ix = mk(); const big = 2n ** 40n + 7n; ix.add(big, vec(1), 1);
      const m = ix.search(vec(1), 1, 1);
      return { supported: m.keys[0] === big, note: '64-bit unsigned keys (BigInt)' };
    }),
    efSearchSetter: { supported: false, note: 'expansion_search fixed at construction; load() keeps the constructing config' },
    getVectorByKey: { supported: false, note: 'JS binding has no get(key) for stored vectors' },
  };
}

function probeHnswlib(dir: string): Record<string, Probe> {
  const dims = 8;
  const mk = (n: number) => { const ix = new hnswlib.HierarchicalNSW('cosine', dims); ix.initIndex({ maxElements: n, m: 16, efConstruction: 64 }); return ix; };
  const vec = (s: number) => Array.from({ length: dims }, (_, i) => Math.sin(s * 7 + i) + 1.5);
  const fill = (ix: hnswlib.HierarchicalNSW, n: number) => { for (let i = 0; i < n; i++) ix.addPoint(vec(i), i); };
  return {
    filteredSearch: tryProbe(() => {
      const ix = mk(1000); fill(ix, 1000); ix.setEf(64);
      const r = ix.searchKnn(vec(0), 10, (l) => l % 333 === 0); // 4 of 1000 pass
      return { supported: r.neighbors.every((l) => l % 333 === 0), note: `searchKnn(q,k,filter) callback; very selective filter (4/1000 pass) returned ${r.neighbors.length}` };
    }),
    removal: tryProbe(() => {
      const ix = mk(100); fill(ix, 100); ix.markDelete(5);
      const r = ix.searchKnn(vec(5), 99);
      return { supported: !r.neighbors.includes(5), note: 'markDelete(label) tombstones (getCurrentCount still counts it)' };
    }),
    upsertExistingKey: tryProbe(() => {
      const ix = mk(10); fill(ix, 10); ix.addPoint(vec(999), 3);
      const p = ix.getPoint(3); const want = vec(999); const nrm = Math.hypot(...want);
      return { supported: Math.abs(p[0]! - want[0]! / nrm) < 1e-5 && ix.getCurrentCount() === 10, note: 'addPoint on an existing label updates it in place' };
    }),
    saveLoad: tryProbe(() => {
      const ix = mk(100); fill(ix, 100); const f = join(dir, 'probe-hnswlib.idx'); ix.writeIndexSync(f);
      const ix2 = new hnswlib.HierarchicalNSW('cosine', dims); ix2.readIndexSync(f);
      return { supported: ix2.getCurrentCount() === 100, note: 'writeIndex(Sync)/readIndex(Sync), file paths only' };
    }),
    growth: tryProbe(() => {
      const ix = mk(10);
      try { fill(ix, 11); } catch (err) {
        ix.resizeIndex(100); fill(ix, 50);
        return { supported: true, note: `adding past maxElements throws (${(err as Error).message.slice(0, 60)}…); resizeIndex() needed` };
      }
      return { supported: true, note: 'grew without resize' };
    }),
    keysAbove2pow32: tryProbe(() => {
      const ix = mk(10); const big = 2 ** 40 + 7; ix.addPoint(vec(1), big);
      const r = ix.searchKnn(vec(1), 1);
      return { supported: r.neighbors[0] === big, note: `labels are read as uint32 by the binding: ${big} came back as ${String(r.neighbors[0])}` };
    }),
    efSearchSetter: { supported: true, note: 'setEf(ef) at any time' },
    getVectorByKey: { supported: true, note: 'getPoint(label) returns number[] (normalised for cosine)' },
  };
}

// ---------------------------------------------------------------- orchestration

async function runChild(lib: LibName, dataset: DatasetName, truthFile: string): Promise<LibResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--worker', lib, dataset, truthFile], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    child.on('message', (m) => resolve(m as LibResult));
    child.on('error', reject);
    child.on('exit', (code) => { if (code !== 0) reject(new Error(`worker ${lib}/${dataset} exited ${code}`)); });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--worker') {
    const [, lib, dataset, truthFile] = args as [string, LibName, DatasetName, string];
    const ds = loadDataset(dataset);
    const truth = new Int32Array(readFileSync(truthFile).buffer.slice(0));
    const dir = mkdtempSync(join(tmpdir(), 'ann-pick-'));
    try {
      log(`${lib} on ${dataset} (${ds.n} x ${ds.dims})`);
      const r = lib === 'usearch' ? runUsearch(ds, truth, dir) : runHnswlib(ds, truth, dir);
      process.send!(r);
    } finally { rmSync(dir, { recursive: true, force: true }); }
    return;
  }

  const dir = mkdtempSync(join(tmpdir(), 'ann-pick-'));
  try {
    const results: LibResult[] = [];
    const datasets: DatasetName[] = existsSync(FASHION_DIR) ? ['fashion-mnist-784', 'synthetic-clustered-512'] : ['synthetic-clustered-512'];
    for (const name of datasets) {
      log(`dataset ${name}: loading + ground truth`);
      const ds = loadDataset(name);
      const truthFile = join(dir, `${name}.truth`);
      writeFileSync(truthFile, Buffer.from(groundTruth(ds).buffer));
      for (const lib of ['usearch', 'hnswlib-node'] as const) results.push(await runChild(lib, name, truthFile));
    }
    const cpu = cpus()[0];
    const out = {
      generatedAt: new Date().toISOString(),
      machine: { platform: platform(), arch: arch(), cpu: cpu?.model, cores: cpus().length, memGB: Math.round(totalmem() / 2 ** 30), node: process.version },
      quick: QUICK,
      k: K,
      metric: 'cosine',
      note: 'single-thread build and search; recall@10 against brute force; ratio = usearch / hnswlib-node at the same ef',
      results,
      ratios: results.filter((r) => r.library === 'usearch').map((u) => {
        const h = results.find((r) => r.library === 'hnswlib-node' && r.dataset === u.dataset)!;
        return {
          dataset: u.dataset,
          buildTime: round(u.buildSeconds / h.buildSeconds, 2),
          fileSize: round(u.fileSizeMB / h.fileSizeMB, 2),
          qpsByEf: u.search.map((s, i) => ({ ef: s.ef, qps: round(s.qps / h.search[i]!.qps, 2), recallDiff: round(s.recallAt10 - h.search[i]!.recallAt10, 4) })),
        };
      }),
      capabilities: { usearch: probeUsearch(dir), 'hnswlib-node': probeHnswlib(dir) },
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

await main();
