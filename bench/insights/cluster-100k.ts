/**
 * Clustering time at 100 000 products: fills a fresh SQLite catalog store with 100 000 products
 * (one image each; every image row points at the same small display JPEG in the media store, so
 * dominant colours are computed for real) and times ClusteringService.run() as `shoplens cluster`
 * runs it (no --k: k chosen by silhouette over 2…20, then mini-batch k-means over all vectors,
 * 2-D PCA map, per-cluster summaries, assignments written back), vectors read from the store.
 *
 * Vectors (2239-d, the default extractor's dimensionality): the 60 000 train + 10 000 test
 * Fashion-MNIST default-extractor vectors (cached by extract-fmnist-features.ts), plus 30 000
 * made from random real ones with Gaussian noise (σ = 0.01 per dimension) and re-normalised.
 *
 *   npx tsx bench/insights/cluster-100k.ts [--n 100000] [--k 12] [--features /tmp]
 *
 * Only the service call is timed; openShoplens is not used because opening it would first build
 * an HNSW index over the 100 000 vectors written behind its back (a real catalog has it on disk).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { MediaStore } from '../../src/catalog/media-store.js';
import type { ProductWrite } from '../../src/catalog/catalog-store.js';
import { SqliteCatalogStore } from '../../src/catalog/sqlite/sqlite.catalog-store.js';
import { seededRandom } from '../../src/eval/random.js';
import { ClusteringService } from '../../src/insights/clustering.service.js';

const arg = (name: string, fallback?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const n = Number(arg('n', '100000'));
const d = 2239;
const dir = arg('features', '/tmp')!;
const f32 = (name: string) => {
  const b = readFileSync(path.join(dir, name));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const real = [f32('fmnist-default-train.f32'), f32('fmnist-default-test.f32')];
const realRows = real.reduce((s, a) => s + a.length / d, 0);
const rand = seededRandom(7);
const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
const vectorAt = (i: number): Float32Array => {
  const r = i < realRows ? i : Math.floor(rand() * realRows);
  const src = r < real[0]!.length / d ? real[0]!.subarray(r * d, (r + 1) * d) : real[1]!.subarray((r - real[0]!.length / d) * d, (r - real[0]!.length / d + 1) * d);
  const v = Float32Array.from(src);
  if (i >= realRows) {
    let norm = 0;
    for (let j = 0; j < d; j++) {
      v[j] = v[j]! + 0.01 * gauss();
      norm += v[j]! * v[j]!;
    }
    norm = Math.sqrt(norm);
    for (let j = 0; j < d; j++) v[j] = v[j]! / norm;
  }
  return v;
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shoplens-bench-cluster-'));
try {
  const store = SqliteCatalogStore.open(path.join(tmp, 'catalog.sqlite'));
  const media = new MediaStore(path.join(tmp, 'media'));
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#3366aa' } }).jpeg().toBuffer();
  const sha = createHash('sha256').update(jpeg).digest('hex');
  await media.put(sha, jpeg);
  let t = performance.now();
  for (let start = 0; start < n; start += 1000) {
    const batch: ProductWrite[] = [];
    for (let i = start; i < Math.min(n, start + 1000); i++) {
      const id = `p${String(i).padStart(6, '0')}`;
      batch.push({
        id, title: `Product ${i}`, brand: null, category: `c${i % 10}`, price: null, currency: null, attributes: {},
        images: [{ source: `bench://${id}`, sha256: sha, width: 64, height: 64, vector: vectorAt(i) }],
        fingerprint: id,
      });
    }
    await store.writeProducts(batch);
  }
  const fillSeconds = (performance.now() - t) / 1000;
  console.error(`filled ${n} products in ${fillSeconds.toFixed(1)} s`);
  const k = arg('k');
  const load0 = os.loadavg();
  t = performance.now();
  const report = await new ClusteringService(store, media).run({ seed: 1, ...(k ? { k: Number(k) } : {}) });
  const seconds = (performance.now() - t) / 1000;
  console.log(JSON.stringify({
    n, dimensions: d, k: report.k, chosenBy: report.chosenBy, method: report.method, images: report.images,
    seconds: Math.round(seconds * 10) / 10, reportSeconds: report.seconds, fillSeconds: Math.round(fillSeconds * 10) / 10,
    targetSeconds: 120, met: seconds < 120, sizes: report.clusters.map((c) => c.images),
    loadavgBefore: load0.map((x) => Math.round(x * 100) / 100), loadavgAfter: os.loadavg().map((x) => Math.round(x * 100) / 100), cpus: os.cpus().length,
  }, null, 1));
  await store.close();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
