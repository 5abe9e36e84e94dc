/**
 * HTTP load benchmark (loopback only, autocannon): search-by-image (multipart POST /api/v1/search
 * with a JPEG) at several concurrencies against a large catalogue, next to GET /api/v1/health
 * (the HTTP floor) measured the same way in the same run.
 *
 * The catalogue: `real` generated 640×480 photos go through the real ingest; the remaining
 * products are written straight into the catalog store (store.writeProducts), each with one image
 * whose vector is a real vector plus small Gaussian noise (re-normalised) and whose media/sha256
 * point at that real image. Reopening rebuilds the HNSW index from the store (the real code path).
 *
 * Building the catalogue is the slow part (the HNSW rebuild over 100k × 2239-d vectors is single-
 * threaded), so a built data directory is cached under $TMPDIR/shoplens-bench-cache, keyed by the
 * sizes and a hash of the code that defines what is stored (src/features, src/imaging, src/catalog,
 * src/index, the photo generator). Each run copies the cached directory into a fresh temp directory
 * (the server appends to the search log), so runs do not influence each other. `--no-cache` rebuilds.
 *
 *   npx tsx bench/http/http.bench.ts [--quick] [--products 100000] [--real 2000] [--duration 15] [--no-cache]
 *     [--build-only] [--concurrency 1,8,32] [--server-arg=--cpu-prof ...]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { ProductWrite } from '../../src/catalog/catalog-store.js';
import { loadConfig } from '../../src/config/config.js';
import { openShoplens } from '../../src/main.js';
import { log, machineInfo, parseArgs, percentile, REPO_ROOT, round, writeResult } from '../lib/common.js';
import { gaussian, prng } from '../lib/datasets.js';
import { photoJpeg, writeCatalog } from '../lib/images.js';

const TARGETS = { concurrency: 8, p50ms: 25, p99ms: 80 };

interface LoadResult {
  path: string;
  concurrency: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

function load(url: string, concurrency: number, seconds: number, request: { method: 'GET' | 'POST'; body?: Buffer; headers?: Record<string, string> }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const times: number[] = [];
    const inst = autocannon(
      {
        url, connections: concurrency, duration: seconds, method: request.method,
        ...(request.body ? { body: request.body } : {}), headers: request.headers ?? {}, timeout: 30,
      },
      (err, r) => {
        if (err) return reject(err);
        times.sort((a, b) => a - b);
        resolve({
          path: new URL(url).pathname, concurrency, seconds,
          requests: r.requests.total,
          requestsPerSecond: round(r.requests.total / seconds, 1),
          latencyMs: {
            p50: round(percentile(times, 50), 2), p95: round(percentile(times, 95), 2), p99: round(percentile(times, 99), 2),
            max: round(times[times.length - 1] ?? NaN, 2), mean: round(times.reduce((a, b) => a + b, 0) / times.length, 2),
          },
          errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx,
        });
      },
    );
    // Exact per-request latencies (autocannon's summary has p97.5 but no p95).
    inst.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => times.push(responseTime));
  });
}

/**
 * CPU seconds (user + system, all threads) a process has used, from /proc (Linux); null elsewhere.
 * Per-request CPU of the server is the figure that moves least with the shared machine's load.
 */
function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

function multipart(jpeg: Buffer): { body: Buffer; headers: Record<string, string> } {
  const boundary = `----shoplensbench${randomUUID().replace(/-/g, '')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="q.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    jpeg,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function buildCatalog(dataDir: string, dir: string, products: number, real: number): Promise<Record<string, unknown>> {
  log('http', `generating ${real} real photos`);
  const { csv } = await writeCatalog(dir, real);
  const config = loadConfig({ dataDir }, {});
  let shoplens = await openShoplens(config);
  let t = performance.now();
  const report = await shoplens.ingest.ingest(csv);
  const ingestSeconds = (performance.now() - t) / 1000;
  log('http', `ingested ${report.imagesAnalysed} real images in ${ingestSeconds.toFixed(1)} s`);

  const realVectors: { vector: Float32Array; sha256: string; width: number; height: number; source: string }[] = [];
  for await (const b of shoplens.store.iterateVectors(1000)) {
    const imgs = await shoplens.store.getImages(b.keys);
    b.keys.forEach((k, i) => {
      const img = imgs.get(k)!;
      realVectors.push({ vector: b.vectors[i]!, sha256: img.sha256, width: img.width, height: img.height, source: img.source });
    });
  }
  const dims = realVectors[0]!.vector.length;
  const g = gaussian(prng(7));
  const sigma = 0.3 / Math.sqrt(dims); // noise of norm ≈ 0.3 against unit vectors: cosine to the source ≈ 0.96
  t = performance.now();
  const extra = products - real;
  for (let start = 0; start < extra; start += 2000) {
    const batch: ProductWrite[] = [];
    for (let i = start; i < Math.min(extra, start + 2000); i++) {
      const src = realVectors[i % realVectors.length]!;
      const v = Float32Array.from(src.vector, (x) => x + g() * sigma);
      let s = 0;
      for (const x of v) s += x * x;
      const inv = 1 / Math.sqrt(s);
      for (let d = 0; d < v.length; d++) v[d]! *= inv;
      batch.push({
        id: `s${i}`, title: `Synthetic product ${i}`, brand: `Brand ${i % 97}`, category: ['shirts', 'shoes', 'bags', 'hats', 'dresses'][i % 5]!,
        price: 5 + (i % 200), currency: 'EUR', attributes: {}, fingerprint: `synthetic-${i}`,
        images: [{ source: src.source, sha256: src.sha256, width: src.width, height: src.height, vector: v }],
      });
    }
    await shoplens.store.writeProducts(batch);
    if ((start / 2000) % 10 === 0) log('http', `store: ${real + start + batch.length}/${products} products`);
  }
  const writeSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  await shoplens.indexSync.refresh(); // store changed behind the index: rebuild from the store, then save
  await shoplens.close();
  const indexSeconds = (performance.now() - t) / 1000;
  log('http', `index rebuilt over ${products} vectors in ${indexSeconds.toFixed(1)} s`);
  shoplens = await openShoplens(config);
  const stats = await shoplens.store.stats();
  const indexSize = shoplens.indexSync.index.size();
  await shoplens.close();
  return {
    products: stats.products, images: stats.images, indexSize, dims, realIngested: report.imagesAnalysed,
    ingestSeconds: round(ingestSeconds, 1), storeWriteSeconds: round(writeSeconds, 1), indexBuildSeconds: round(indexSeconds, 1),
    synthetic: `${extra} products written with store.writeProducts; vector = real vector + N(0, (0.3/sqrt(${dims}))²) per dimension, re-normalised (cosine to its source ≈ 0.96); image sha256/source/media of that real image`,
  };
}

/**
 * Code whose changes change what the catalogue build stores (vectors, schema, index file format),
 * plus CATALOG_VERSION: bump it when buildCatalog itself changes what it writes.
 */
const CATALOG_CODE = [
  'src/features/classic', 'src/features/feature-extractor.ts', 'src/features/image-embedder.ts', 'src/imaging',
  'src/catalog/sqlite/migrations.ts', 'src/catalog/sqlite/vector-blob.ts', 'src/index/hnsw', 'src/index/index-file.ts', 'bench/lib/images.ts', 'bench/lib/datasets.ts',
];
const CATALOG_VERSION = 1;

function catalogKey(products: number, real: number): string {
  const h = createHash('sha256').update(`${CATALOG_VERSION}/${products}/${real}\n`);
  const walk = (rel: string): void => {
    const abs = path.join(REPO_ROOT, rel);
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) walk(path.join(rel, name));
    } else if (!rel.endsWith('.test.ts')) {
      h.update(`${rel}\n`).update(readFileSync(abs));
    }
  };
  for (const rel of CATALOG_CODE) walk(rel);
  return `${products}-${real}-${h.digest('hex').slice(0, 16)}`;
}

/**
 * The built catalogue for (products, real) at this code version: from the cache when present,
 * else built once and stored there. Returns the cached data directory and its build figures.
 */
async function cachedCatalog(products: number, real: number, useCache: boolean): Promise<{ dataDir: string; catalog: Record<string, unknown>; cached: boolean }> {
  const root = path.join(os.tmpdir(), 'shoplens-bench-cache');
  const dir = path.join(root, `http-${catalogKey(products, real)}`);
  const info = path.join(dir, 'catalog.json');
  if (useCache && existsSync(info)) {
    log('http', `catalogue from cache ${dir}`);
    return { dataDir: path.join(dir, 'data'), catalog: JSON.parse(readFileSync(info, 'utf8')) as Record<string, unknown>, cached: true };
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'shoplens-bench-http-build-'));
  try {
    const catalog = await buildCatalog(path.join(work, 'data'), work, products, real);
    rmSync(path.join(work, 'images'), { recursive: true, force: true });
    writeFileSync(path.join(work, 'catalog.json'), JSON.stringify(catalog, null, 2));
    mkdirSync(root, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir); // same file system: the cache entry appears complete or not at all
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  return { dataDir: path.join(dir, 'data'), catalog: JSON.parse(readFileSync(info, 'utf8')) as Record<string, unknown>, cached: false };
}

function startServer(dataDir: string, nodeArgs: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(REPO_ROOT, 'bench/http/serve.child.ts'), '--data', dataDir, '--port', '0'], {
      cwd: REPO_ROOT, env: { ...process.env, SHOPLENS_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /shoplens listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[server] ${d.toString()}`));
    child.on('exit', (code) => reject(new Error(`server exited with ${code} before listening: ${out}`)));
  });
}

async function main(): Promise<void> {
  const args = parseArgs();
  const opt = (name: string, dflt: number): number => {
    const i = args.rest.indexOf(name);
    return i >= 0 ? Number(args.rest[i + 1]) : dflt;
  };
  const products = opt('--products', args.quick ? 10_000 : 100_000);
  const real = opt('--real', args.quick ? 400 : 2_000);
  const seconds = opt('--duration', args.quick ? 5 : 15);
  const ci = args.rest.indexOf('--concurrency');
  const concurrencies = ci >= 0 ? args.rest[ci + 1]!.split(',').map(Number) : [1, 8, 32];
  const serverArgs = args.rest.filter((a) => a.startsWith('--server-arg=')).map((a) => a.slice('--server-arg='.length));
  if (args.rest.includes('--print-key')) {
    console.log(`http-${catalogKey(products, real)}`); // the cache entry's folder name
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoplens-bench-http-'));
  const dataDir = path.join(dir, 'data');
  let server: ChildProcess | undefined;
  try {
    const built = await cachedCatalog(products, real, !args.rest.includes('--no-cache'));
    const catalog = { ...built.catalog, fromCache: built.cached };
    if (args.rest.includes('--build-only')) return;
    let t = performance.now();
    cpSync(built.dataDir, dataDir, { recursive: true });
    log('http', `catalogue copied in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const started = await startServer(dataDir, serverArgs);
    log('http', `server listening after ${((performance.now() - t) / 1000).toFixed(1)} s (index loaded from its file)`);
    server = started.child;
    log('http', `server at ${started.url}`);
    const query = multipart(await photoJpeg(999_999)); // a photo that is not in the catalogue
    const search = `${started.url}/api/v1/search`;
    // Sanity: one request must succeed before loading.
    // The first search may build lazily derived state, so it is timed on its own (cold) and not loaded.
    const probes: number[] = [];
    let results = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const probe = await fetch(search, { method: 'POST', body: new Uint8Array(query.body), headers: query.headers });
      const probeBody = (await probe.json()) as { results?: unknown[] };
      if (!probe.ok) throw new Error(`search probe failed: ${probe.status} ${JSON.stringify(probeBody).slice(0, 300)}`);
      probes.push(round(performance.now() - t0, 1));
      results = probeBody.results?.length ?? 0;
    }
    log('http', `probes ok (${results} results): ${probes.join(', ')} ms (first = cold)`);
    await load(search, 2, 2, { method: 'POST', ...query }); // warm-up

    const runs: { concurrency: number; health: LoadResult; search: LoadResult; serverCpuMsPerRequest: number | null; loadAverage1m: number; ratios: Record<string, number> }[] = [];
    for (const c of concurrencies) {
      const health = await load(`${started.url}/api/v1/health`, c, seconds, { method: 'GET' });
      const cpu0 = processCpuSeconds(server.pid!);
      const s = await load(search, c, seconds, { method: 'POST', ...query });
      const cpu1 = processCpuSeconds(server.pid!);
      const serverCpuMsPerRequest = cpu0 !== null && cpu1 !== null && s.requests > 0 ? round(((cpu1 - cpu0) * 1000) / s.requests, 2) : null;
      log('http', `c=${c}: search p50 ${s.latencyMs.p50} p95 ${s.latencyMs.p95} p99 ${s.latencyMs.p99} ms, ${s.requestsPerSecond} req/s, non2xx ${s.non2xx}, errors ${s.errors}, server CPU ${serverCpuMsPerRequest} ms/request; health ${health.requestsPerSecond} req/s p50 ${health.latencyMs.p50} ms; load ${os.loadavg()[0]!.toFixed(1)}`);
      runs.push({
        concurrency: c, health, search: s, serverCpuMsPerRequest, loadAverage1m: round(os.loadavg()[0]!, 2),
        ratios: {
          throughputSearchToHealth: round(s.requestsPerSecond / health.requestsPerSecond, 4),
          p50SearchToHealth: round(s.latencyMs.p50 / health.latencyMs.p50, 1),
        },
      });
    }
    const at = runs.find((r) => r.concurrency === TARGETS.concurrency);
    writeResult('http', args.quick, {
      name: 'http', quick: args.quick, machine: machineInfo(),
      setup: {
        server: '`shoplens serve` (src/cli serve command → openShoplens + buildServer) in its own Node process, 127.0.0.1, port 0; config defaults (HNSW, default extractor)',
        client: `autocannon 9 in the bench process, ${seconds} s per run, one run per (path, concurrency); latencies = every response time`,
        search: 'POST /api/v1/search, multipart with one 640×480 JPEG (a generated photo not in the catalogue), default k',
        reference: 'GET /api/v1/health, same concurrency and duration, same run',
      },
      catalog,
      sequentialProbesMs: probes,
      runs,
      target: at ? { ...TARGETS, p50: at.search.latencyMs.p50, p99: at.search.latencyMs.p99, met: at.search.latencyMs.p50 <= TARGETS.p50ms && at.search.latencyMs.p99 <= TARGETS.p99ms } : null,
    });
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
