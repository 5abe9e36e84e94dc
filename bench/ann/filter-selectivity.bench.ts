/**
 * Filtered search cost by index kind: how k-NN search with a filter slows down as the filter
 * passes fewer keys. hnswlib filters inside the graph walk (a callback); the usearch adapter
 * over-fetches (k×4, ×4 …) until k keys pass. Decides whether usearch-f32 can be the default.
 *
 *   npx tsx bench/ann/filter-selectivity.bench.ts [--n 50000] [--dims 256] [--queries 200]
 *
 * Synthetic clustered vectors (bench/lib/datasets.ts), cosine, k = 10, single thread; the filter
 * keeps every key with key % m === 0 (pass rate 1/m). Reports p50 latency and recall@10 against the
 * exact filtered top 10 (ExactVectorIndex with the same filter), next to the unfiltered search.
 *
 * 2026-11-26, n 50,000 × 256-d, 200 queries, load 2.6–3.9 (p50 ms / recall@10):
 *   no filter  hnsw 0.39 / 1.000   usearch-f32 0.34 / 1.000
 *   1/2        1.11 / 1.000        0.61 / 1.000
 *   1/20       8.65 / 1.000        2.68 / 0.990
 *   1/200     35.55 / 1.000       12.82 / 0.955
 *   1/2000    70.38 / 1.000      190.82 / 1.000
 * usearch's over-fetching is faster down to 1/200 but loses recall there and is 2.7× slower at
 * 1/2000: the reason `hnsw` stays the default.
 */
import { ExactVectorIndex } from '../../src/index/exact/exact.vector-index.js';
import { HnswVectorIndex } from '../../src/index/hnsw/hnsw.vector-index.js';
import { UsearchVectorIndex } from '../../src/index/usearch/usearch.vector-index.js';
import type { VectorIndex } from '../../src/index/vector-index.js';
import { syntheticClustered } from '../lib/datasets.js';

const arg = (name: string, d: number) => { const i = process.argv.indexOf(name); return i >= 0 ? Number(process.argv[i + 1]) : d; };
const n = arg('--n', 50_000), dims = arg('--dims', 256), nq = arg('--queries', 200), k = 10;
const set = syntheticClustered(n, nq, dims);
const rows = (v: Float32Array, count: number) => Array.from({ length: count }, (_, i) => v.subarray(i * dims, (i + 1) * dims));
const base = rows(set.base, n), queries = rows(set.queries, nq);
const keys = base.map((_, i) => i);

const exact = new ExactVectorIndex({ dimensions: dims, metric: 'cosine' });
exact.upsert(keys, base);
const indexes: [string, VectorIndex][] = [];
for (const [name, make] of [
  ['hnsw', () => HnswVectorIndex.create({ dimensions: dims, metric: 'cosine' })],
  ['usearch-f32', () => UsearchVectorIndex.create({ dimensions: dims, metric: 'cosine', quantization: 'f32' })],
] as const) {
  const t = performance.now();
  const index = make();
  index.upsert(keys, base);
  process.stderr.write(`${name}: built ${n} × ${dims}-d in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  indexes.push([name, index]);
}

const p50 = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`n=${n} dims=${dims} queries=${nq} k=${k}; load ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);
console.log('| filter passes | ' + indexes.map(([name]) => `${name} p50 ms | ${name} recall@10`).join(' | ') + ' |');
for (const m of [1, 2, 20, 200, 2000]) {
  const filter = m === 1 ? undefined : (key: number) => key % m === 0;
  const truth = queries.map((q) => new Set(exact.search(q, k, filter).map((h) => h.key)));
  const cells: string[] = [];
  for (const [, index] of indexes) {
    const times: number[] = [];
    let found = 0;
    queries.forEach((q, i) => {
      const t = performance.now();
      const hits = index.search(q, k, filter);
      times.push(performance.now() - t);
      found += hits.filter((h) => truth[i]!.has(h.key)).length;
    });
    cells.push(`${p50(times).toFixed(2)} | ${(found / (truth.reduce((s, t) => s + t.size, 0))).toFixed(3)}`);
  }
  console.log(`| ${m === 1 ? 'all (no filter)' : `1/${m}`} | ${cells.join(' | ')} |`);
}
