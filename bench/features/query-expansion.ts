/**
 * Measurement (not shipped): label-free query expansion and database-side augmentation on top of
 * the default extractor's vectors, Fashion-MNIST subset, evaluated with the bench's exact ranking.
 *
 *   npx tsx bench/features/query-expansion.ts [catalog=10000] [queries=2000] [n=2,5,10,20] [alpha=0,1,3] [modes=qe,dba,both]
 *
 * Definitions (Radenović et al., "Fine-tuning CNN image retrieval with no human annotation"):
 *  - α-QE: first search with q; new query q' = q + Σ_{i=1..n} s_i^α · x_i over the n nearest catalog
 *    vectors x_i (s_i = cosine to q, clamped at 0), L2-normalised, searched again. The query itself
 *    counts with weight 1 (its similarity to itself). α = 0 is average query expansion.
 *  - DBA: once, at index time, every catalog vector d becomes d + Σ_{i=1..n} s_i^α · x_i over its n
 *    nearest OTHER catalog vectors, L2-normalised. Queries are not augmented (a shopper photo is not in
 *    the catalog).
 *  - both: DBA catalog, then α-QE against it (same n and α for both).
 * Vectors come from /tmp/fx/cur-<catalog>-<queries>.f32 when explore.ts already cached them, else
 * from the bench workers (extractor 'default', 28×28), and are written there.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { l2normalize } from '../../src/domain/vector.js';
import { BenchWorker } from '../../src/eval/bench/bench-pool.js';
import { DotKernel } from '../../src/eval/bench/dot-kernel.js';
import { ExactRanker, metricsOf, topK } from '../../src/eval/bench/exact-ranking.js';
import { readFashionMnist, takeFirst } from '../../src/eval/datasets/fashion-mnist.reader.js';

const CACHE = '/tmp/fx';
const list = (s: string | undefined, d: string) => (s ?? d).split(',').filter((x) => x !== '');

/** L2-normalised rows of the default extractor for the first `ncat` train and `nq` test images. */
async function loadVectors(ncat: number, nq: number, data: Awaited<ReturnType<typeof readFashionMnist>>): Promise<{ dim: number; cat: Float32Array; q: Float32Array }> {
  const file = `${CACHE}/cur-${ncat}-${nq}.f32`;
  let all: Float32Array;
  if (existsSync(file)) {
    const buf = readFileSync(file);
    all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
  } else {
    // The bench's own workers (2 threads: the machine has 2 cores), each taking a share of the images.
    const t0 = performance.now();
    const cat = takeFirst(data.train, ncat), qs = takeFirst(data.test, nq);
    const pixels = new Uint8Array((ncat + nq) * 784);
    pixels.set(cat.pixels.subarray(0, ncat * 784));
    pixels.set(qs.pixels.subarray(0, nq * 784), ncat * 784);
    const total = ncat + nq, workers = [new BenchWorker(), new BenchWorker()];
    const share = Math.ceil(total / workers.length);
    const parts = await Promise.all(workers.map(async (w, i) => {
      const start = i * share, count = Math.min(share, total - start);
      const reply = await w.request({ type: 'extract', extractor: 'default', pixels: pixels.slice(start * 784, (start + count) * 784), count, rows: 28, cols: 28 });
      if (reply.type !== 'features') throw new Error(`unexpected worker reply ${reply.type}`);
      return reply.features;
    }));
    await Promise.all(workers.map((w) => w.close()));
    all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let off = 0;
    for (const p of parts) { all.set(p, off); off += p.length; }
    process.stderr.write(`vectorised ${total} images in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(file, Buffer.from(all.buffer, all.byteOffset, all.byteLength));
  }
  const dim = all.length / (ncat + nq);
  for (let i = 0; i < ncat + nq; i++) l2normalize(all.subarray(i * dim, (i + 1) * dim));
  return { dim, cat: all.subarray(0, ncat * dim), q: all.subarray(ncat * dim) };
}

interface Neighbours { idx: Int32Array; sim: Float32Array; k: number }

/** The k nearest catalog rows of every row of `queries` (optionally skipping each row's own index). */
function nearest(kernel: DotKernel, queries: Float32Array, count: number, dim: number, k: number, skipSelf: boolean): Neighbours {
  const idx = new Int32Array(count * k), sim = new Float32Array(count * k);
  for (let start = 0; start < count; start += kernel.maxBatch) {
    const end = Math.min(count, start + kernel.maxBatch);
    const sims = kernel.similarities(queries.subarray(start * dim, end * dim), end - start);
    sims.forEach((s, j) => {
      const row = start + j;
      const top = topK(s, k + (skipSelf ? 1 : 0)).filter((c) => !skipSelf || c !== row).slice(0, k);
      top.forEach((c, r) => { idx[row * k + r] = c; sim[row * k + r] = s[c]!; });
    });
    if (process.stderr.isTTY && start % (kernel.maxBatch * 50) === 0) process.stderr.write(`  knn ${end}/${count}\r`);
  }
  return { idx, sim, k };
}

/** Each row becomes itself + Σ_{i<n} max(s_i,0)^α · neighbour_i, L2-normalised. */
function expand(self: Float32Array, count: number, base: Float32Array, dim: number, nb: Neighbours, n: number, alpha: number): Float32Array {
  const out = self.slice(0, count * dim);
  for (let r = 0; r < count; r++) {
    const row = out.subarray(r * dim, (r + 1) * dim);
    for (let i = 0; i < n; i++) {
      const c = nb.idx[r * nb.k + i]!;
      const w = Math.max(0, nb.sim[r * nb.k + i]!) ** alpha;
      const x = base.subarray(c * dim, (c + 1) * dim);
      for (let t = 0; t < dim; t++) row[t]! += w * x[t]!;
    }
    l2normalize(row);
  }
  return out;
}

async function main() {
  const [ncatS, nqS, nS, aS, mS] = process.argv.slice(2);
  const ncat = Number(ncatS ?? 10000), nq = Number(nqS ?? 2000);
  const ns = list(nS, '2,5,10,20').map(Number), alphas = list(aS, '0,1,3').map(Number), modes = list(mS, 'qe,dba,both');
  const maxN = Math.max(...ns);
  const data = await readFashionMnist();
  const catLabels = Uint8Array.from(takeFirst(data.train, ncat).labels), qLabels = takeFirst(data.test, nq).labels;
  const { dim, cat, q } = await loadVectors(ncat, nq, data);
  process.stderr.write(`${ncat} catalog × ${nq} queries, ${dim}-d\n`);

  const row = (name: string, catV: Float32Array, qV: Float32Array, extra: string) => {
    const t0 = performance.now();
    const m = metricsOf(new ExactRanker(catV, dim, catLabels).evaluate(qV, qLabels));
    const searchMs = (performance.now() - t0) / nq;
    process.stdout.write(`${name.padEnd(26)} mAP ${m.mAP.toFixed(4)}  P@10 ${m['P@10'].toFixed(4)}  top1 ${m.top1.toFixed(4)}  knn10 ${m.knn10.toFixed(4)}  search+score ${searchMs.toFixed(2)} ms/q  ${extra}\n`);
  };
  row('baseline', cat, q, '');

  // First-pass neighbours of the queries against the plain catalog (QE's extra work per query is
  // this pass's top-n, the weighted sum, and a second full search).
  const plain = new DotKernel(cat, dim);
  let t0 = performance.now(), firstPassMs = 0;
  let qNb: Neighbours | undefined;
  if (modes.includes('qe')) {
    qNb = nearest(plain, q, nq, dim, maxN, false);
    firstPassMs = (performance.now() - t0) / nq;
    process.stderr.write(`first pass (search + top-${maxN}): ${firstPassMs.toFixed(2)} ms/query\n`);
  }

  let catNb: Neighbours | undefined, knnGraphS = 0;
  if (modes.some((m) => m !== 'qe')) {
    t0 = performance.now();
    catNb = nearest(plain, cat, ncat, dim, maxN, true);
    knnGraphS = (performance.now() - t0) / 1000;
    process.stderr.write(`catalog kNN graph (${ncat}², top-${maxN}): ${knnGraphS.toFixed(1)} s\n`);
  }

  for (const n of ns) for (const alpha of alphas) {
    if (qNb) {
      t0 = performance.now();
      const qe = expand(q, nq, cat, dim, qNb, n, alpha);
      const expandMs = (performance.now() - t0) / nq;
      row(`qe n=${n} a=${alpha}`, cat, qe, `extra/query = first pass ${firstPassMs.toFixed(2)} + sum ${expandMs.toFixed(3)} ms`);
    }
    if (catNb && (modes.includes('dba') || modes.includes('both'))) {
      t0 = performance.now();
      const dba = expand(cat, ncat, cat, dim, catNb, n, alpha);
      const dbaS = (performance.now() - t0) / 1000;
      const index = `index: kNN graph ${knnGraphS.toFixed(1)} s + sums ${dbaS.toFixed(1)} s`;
      if (modes.includes('dba')) row(`dba n=${n} a=${alpha}`, dba, q, index);
      if (modes.includes('both')) {
        const dk = new DotKernel(dba, dim);
        t0 = performance.now();
        const nb = nearest(dk, q, nq, dim, n, false);
        const both = expand(q, nq, dba, dim, nb, n, alpha);
        const extraMs = (performance.now() - t0) / nq;
        row(`dba+qe n=${n} a=${alpha}`, dba, both, `${index}; extra/query ${extraMs.toFixed(2)} ms`);
      }
    }
  }
}

await main();
