/**
 * What a 10,000-image catalog costs the lookup, estimated from a 1,000-image one: the inverted file
 * is rebuilt with the real documents plus 9,000 synthetic ones (each a real image's words with half
 * of them swapped for words drawn from the catalog's own word distribution), and its query time and
 * memory are measured beside the real 1k index. Feature extraction, quantisation and verification
 * do not depend on the catalog size (verification is bounded by verifyTop) and are timed per stage.
 *   npx tsx bench/lookup/scale.ts --data D --queries tuning.csv [--images 10000]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config.js';
import { readQuerySet } from '../../src/eval/query-set.js';
import { seededRandom } from '../../src/eval/random.js';
import { extractLocalFeatures } from '../../src/features/local/local-features.js';
import { decodeImage } from '../../src/imaging/index.js';
import { openShoplens } from '../../src/main.js';
import { asWords } from '../../src/search/lookup/hamming.js';
import { InvertedFile } from '../../src/search/lookup/inverted-file.js';
import { DEFAULT_LOOKUP_OPTIONS } from '../../src/search/lookup/lookup.service.js';
import { Vocabulary } from '../../src/search/lookup/vocabulary.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, queries: { type: 'string' }, images: { type: 'string', default: '10000' }, limit: { type: 'string', default: '50' } } });
const s = await openShoplens(loadConfig({ dataDir: values.data!, localFeatures: true }, {}));
const v = Vocabulary.deserialize(await readFile(path.join(values.data!, 'lookup-vocabulary.bin')));
const docs: { key: number; words: Uint32Array }[] = [];
for await (const batch of s.store.iterateLocalWords(v.identity)) for (const r of batch) {
  const w = new Uint32Array(r.words.byteLength / 4);
  new Uint8Array(w.buffer).set(r.words);
  docs.push({ key: r.key, words: w });
}
const pool = docs.flatMap((d) => Array.from(d.words));
const rand = seededRandom(11);
const big = [...docs];
for (let k = docs.length; k < Number(values.images); k++) {
  const src = docs[Math.floor(rand() * docs.length)]!.words;
  big.push({ key: -k, words: src.map((w) => (rand() < 0.5 ? pool[Math.floor(rand() * pool.length)]! : w)) });
}
const small = new InvertedFile(v.words, docs);
const large = new InvertedFile(v.words, big);
const o = DEFAULT_LOOKUP_OPTIONS;
const { queries } = await readQuerySet(values.queries!);
const t = { decode: [] as number[], extract: [] as number[], quantize: [] as number[], ivfSmall: [] as number[], ivfLarge: [] as number[], lookup: [] as number[] };
for (const q of queries.slice(0, Number(values.limit))) {
  const bytes = await readFile(q.image);
  let t0 = performance.now();
  const img = await decodeImage(bytes, undefined, { maxSide: o.querySide });
  t.decode.push(performance.now() - t0);
  t0 = performance.now();
  const f = await extractLocalFeatures(img, { maxKeypoints: o.queryKeypoints });
  t.extract.push(performance.now() - t0);
  t0 = performance.now();
  const { words } = v.quantize(asWords(f.descriptors));
  t.quantize.push(performance.now() - t0);
  t0 = performance.now();
  small.query(words, o.verifyTop);
  t.ivfSmall.push(performance.now() - t0);
  t0 = performance.now();
  large.query(words, o.verifyTop);
  t.ivfLarge.push(performance.now() - t0);
  t0 = performance.now();
  await s.lookup!.lookup(img, undefined);
  t.lookup.push(performance.now() - t0);
}
const pct = (a: number[], p: number) => Math.round([...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))]! * 10) / 10;
console.log(JSON.stringify({
  images: { small: small.size, large: large.size },
  memoryMB: { small: Math.round(small.memoryBytes / 1e5) / 10, large: Math.round(large.memoryBytes / 1e5) / 10 },
  p50ms: Object.fromEntries(Object.entries(t).map(([k, a]) => [k, pct(a, 0.5)])),
  p95ms: Object.fromEntries(Object.entries(t).map(([k, a]) => [k, pct(a, 0.95)])),
  note: 'lookup = extract + quantize + ivf(1k) + verification at the real 1k catalog; a 10k estimate adds ivfLarge − ivfSmall',
}));
await s.close();
