/**
 * Candidate stage only: rank of each TUNING photo's true image under several bag-of-words scorings
 * (no verification), over the stored words of an ingested lookup benchmark.
 *   npx tsx bench/lookup/candidates.ts --data D --queries tuning.csv [--side 480] [--keypoints 2500]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config.js';
import { readQuerySet } from '../../src/eval/query-set.js';
import { extractLocalFeatures } from '../../src/features/local/local-features.js';
import { decodeImage } from '../../src/imaging/index.js';
import { openShoplens } from '../../src/main.js';
import { asWords } from '../../src/search/lookup/hamming.js';
import { Vocabulary } from '../../src/search/lookup/vocabulary.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, queries: { type: 'string' }, side: { type: 'string', default: '480' }, keypoints: { type: 'string', default: '2500' }, limit: { type: 'string', default: '100' } } });
const s = await openShoplens(loadConfig({ dataDir: values.data!, localFeatures: true }, {}));
const v = Vocabulary.deserialize(await readFile(path.join(values.data!, 'lookup-vocabulary.bin')));
const docs: { key: number; counts: Map<number, number> }[] = [];
for await (const batch of s.store.iterateLocalWords(v.identity)) for (const r of batch) {
  const w = new Uint32Array(r.words.byteLength / 4);
  new Uint8Array(w.buffer).set(r.words);
  const m = new Map<number, number>();
  for (const x of w) m.set(x, (m.get(x) ?? 0) + 1);
  docs.push({ key: r.key, counts: m });
}
const N = docs.length;
const df = new Float64Array(v.words);
for (const d of docs) for (const w of d.counts.keys()) df[w]!++;
const idf = Array.from(df, (x) => (x > 0 ? Math.log(N / x) : 0));

const vec = (m: Map<number, number>, tf: (c: number) => number, p: number) => {
  const out = new Map<number, number>();
  let norm = 0;
  for (const [w, c] of m) { const x = tf(c) * idf[w]!; out.set(w, x); norm += p === 1 ? x : x * x; }
  norm = p === 1 ? norm : Math.sqrt(norm);
  for (const [w, x] of out) out.set(w, x / (norm || 1));
  return out;
};
const scorers: Record<string, { prep: (m: Map<number, number>) => Map<number, number>; score: (q: Map<number, number>, d: Map<number, number>) => number }> = {
  sqrtL2: { prep: (m) => vec(m, Math.sqrt, 2), score: (q, d) => { let s = 0; for (const [w, x] of q) s += x * (d.get(w) ?? 0); return s; } },
  binL2: { prep: (m) => vec(m, () => 1, 2), score: (q, d) => { let s = 0; for (const [w, x] of q) s += x * (d.get(w) ?? 0); return s; } },
  // Nistér & Stewénius: L1-normalised tf-idf, score 2 − ‖q − d‖₁ over shared words only.
  nisterL1: { prep: (m) => vec(m, (c) => c, 1), score: (q, d) => { let s = 0; for (const [w, x] of q) { const y = d.get(w); if (y !== undefined) s += Math.abs(x - y) - x - y; } return -s; } },
  // Document-side normalisation only (query norm is a constant per query; the clutter dominates it anyway).
  binDocL2idf2: { prep: (m) => vec(m, () => 1, 2), score: (q, d) => { let s = 0; for (const [w] of q) s += (d.get(w) ?? 0) * idf[w]!; return s; } },
};
const prepped = Object.fromEntries(Object.entries(scorers).map(([k, sc]) => [k, docs.map((d) => sc.prep(d.counts))]));
const { queries } = await readQuerySet(values.queries!);
const ranks: Record<string, number[]> = Object.fromEntries(Object.keys(scorers).map((k) => [k, []]));
for (const q of queries.slice(0, Number(values.limit))) {
  const img = await decodeImage(await readFile(q.image), undefined, { maxSide: Number(values.side) });
  const f = await extractLocalFeatures(img, { maxKeypoints: Number(values.keypoints) });
  const { words } = v.quantize(asWords(f.descriptors));
  const qm = new Map<number, number>();
  for (const x of words) qm.set(x, (qm.get(x) ?? 0) + 1);
  const trueKeys = new Set((await s.store.getProductVectors(q.expected![0]!)).map((x) => x.key));
  for (const [k, sc] of Object.entries(scorers)) {
    const qv = sc.prep(qm);
    const scores = prepped[k]!.map((d) => sc.score(qv, d));
    const t = Math.max(...docs.map((d, i) => (trueKeys.has(d.key) ? scores[i]! : -Infinity)));
    ranks[k]!.push(1 + scores.filter((x) => x > t).length);
  }
}
const within = (r: number[], n: number) => Math.round((r.filter((x) => x <= n).length / r.length) * 1000) / 1000;
for (const [k, r] of Object.entries(ranks)) console.log(JSON.stringify({ scorer: k, at1: within(r, 1), at10: within(r, 10), at30: within(r, 30), at60: within(r, 60), at100: within(r, 100) }));
await s.close();
