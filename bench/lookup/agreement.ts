/**
 * Pixel-level check (appearance.ts) on real matches: for every photo, each verified candidate
 * with at least --min evidence before the check, with its inliers, coverage, agreement and
 * whether it is the right product (distractor photos: never). Use a TUNING query set to choose
 * the agreement factor; run the test set only to report.
 *   npx tsx bench/lookup/agreement.ts --data D --queries tuning.csv [--distractors tuning-distractors.csv] [--min 10]
 * Prints one JSON line per match, then a summary line.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config.js';
import { readQuerySet } from '../../src/eval/query-set.js';
import { decodeImage } from '../../src/imaging/index.js';
import { openShoplens } from '../../src/main.js';
import { DEFAULT_APPEARANCE_OPTIONS } from '../../src/search/lookup/appearance.js';
import { DEFAULT_LOOKUP_OPTIONS, LookupService } from '../../src/search/lookup/lookup.service.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, queries: { type: 'string' }, distractors: { type: 'string' }, min: { type: 'string', default: '10' },
  grid: { type: 'string', default: String(DEFAULT_APPEARANCE_OPTIONS.grid) }, 'work-side': { type: 'string', default: String(DEFAULT_APPEARANCE_OPTIONS.workSide) }, sigma: { type: 'string', default: String(DEFAULT_APPEARANCE_OPTIONS.sigma) } } });
const appearance = { ...DEFAULT_APPEARANCE_OPTIONS, grid: Number(values.grid), workSide: Number(values['work-side']), sigma: Number(values.sigma) };
const s = await openShoplens(loadConfig({ dataDir: values.data!, localFeatures: true }, {}));
// exactInliers = --min: the check runs on every match from that evidence up.
const lookup = new LookupService(s.store, { limits: { maxPixels: 4e7, maxBytes: 5e7 }, vocabularyPath: path.join(values.data!, 'lookup-vocabulary.bin'), exactInliers: Number(values.min), appearance }, s.media);
await lookup.open();
const photos: { image: string; expected: string[] }[] = [];
if (values.queries) for (const q of (await readQuerySet(values.queries)).queries) photos.push({ image: q.image, expected: q.expected ?? [] });
if (values.distractors) {
  for (const l of (await readFile(values.distractors, 'utf8')).trim().split('\n').slice(1)) photos.push({ image: path.resolve(path.dirname(values.distractors), l), expected: [] });
}
const ms: number[] = [];
for (const p of photos) {
  const img = await decodeImage(await readFile(p.image), undefined, { maxSide: DEFAULT_LOOKUP_OPTIONS.querySide });
  const t = performance.now();
  const matches = await lookup.lookup(img, undefined);
  ms.push(performance.now() - t);
  const images = await s.store.getImages(matches.map((m) => m.key));
  for (const m of matches) {
    if (m.agreement === undefined) continue;
    const product = images.get(m.key)?.productId ?? '';
    console.log(JSON.stringify({ photo: path.basename(p.image), distractor: p.expected.length === 0, right: p.expected.includes(product), product, inliers: m.inliers, coverage: m.coverage, agreement: m.agreement, evidence: m.evidence, correlations: m.correlations?.map((r) => Math.round(r * 100) / 100) }));
  }
}
ms.sort((a, b) => a - b);
console.log(JSON.stringify({ photos: photos.length, lookupMsP50: ms[ms.length >> 1] }));
await s.close();
