/**
 * Picks the default HNSW parameters of src/index/hnsw: sweeps M × efConstruction × efSearch with
 * the real HnswVectorIndex on isotropic clustered 128-d vectors (5,000 base, 100 queries; the
 * harder-than-real-embeddings data the contract suite uses), recall@10 against ExactVectorIndex.
 *
 *   npx tsx bench/ann-pick/hnsw-defaults.ts [spread=0.6]
 *
 * Writes one JSON document to stdout.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HnswVectorIndex } from '../../src/index/hnsw/hnsw.vector-index.js';
import { ExactVectorIndex } from '../../src/index/exact/exact.vector-index.js';
import { clusteredVectors } from '../../src/index/clustered-vectors.js';

const spread = Number(process.argv[2] ?? 0.6);
const data = clusteredVectors(5000, 128, 14, 50, spread);
const queries = clusteredVectors(100, 128, 15, 50, spread);
const keys = data.map((_, i) => i);

const exact = new ExactVectorIndex({ dimensions: 128, metric: 'cosine' });
exact.upsert(keys, data);
let t = performance.now();
const truth = queries.map((q) => new Set(exact.search(q, 10).map((r) => r.key)));
const exactQps = Math.round(queries.length / ((performance.now() - t) / 1000));

const dir = await mkdtemp(join(tmpdir(), 'hnsw-defaults-'));
const rows: unknown[] = [];
try {
  for (const M of [16, 32]) {
    for (const efConstruction of [128, 200]) {
      t = performance.now();
      const ix = HnswVectorIndex.create({ dimensions: 128, metric: 'cosine', hnsw: { M, efConstruction } });
      ix.upsert(keys, data);
      const buildMs = Math.round(performance.now() - t);
      const file = join(dir, 'i.bin');
      await ix.save(file);
      for (const efSearch of [64, 128, 256]) {
        const o = await HnswVectorIndex.open(file, { efSearch });
        let hits = 0;
        t = performance.now();
        queries.forEach((q, i) => { hits += o.search(q, 10).filter((r) => truth[i]!.has(r.key)).length; });
        const qps = Math.round(queries.length / ((performance.now() - t) / 1000));
        rows.push({ M, efConstruction, efSearch, recallAt10: hits / (queries.length * 10), buildMs, qps, qpsVsExact: Number((qps / exactQps).toFixed(1)) });
      }
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify({ spread, n: 5000, dims: 128, exactQps, machine: { cpu: cpus()[0]?.model, cores: cpus().length }, rows }, null, 2) + '\n');
