/**
 * Where lookup fails, on a TUNING query set (never the test set): rank of the true image among the
 * inverted-file candidates, its inliers, the best wrong candidate's inliers, and the inliers when
 * the true image is verified directly (no candidate stage). `causes` sorts every photo whose true
 * product is not first into: not verifiable at all (local features), verifiable but not among the
 * verified candidates, or verified but beaten by a wrong product.
 *   npx tsx bench/lookup/diagnose.ts --data D --queries tuning.csv [--verify-top 100]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config.js';
import { readQuerySet } from '../../src/eval/query-set.js';
import { decodeImage } from '../../src/imaging/index.js';
import { openShoplens } from '../../src/main.js';
import { DEFAULT_LOOKUP_OPTIONS, LookupService } from '../../src/search/lookup/lookup.service.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, queries: { type: 'string' }, 'verify-top': { type: 'string', default: String(DEFAULT_LOOKUP_OPTIONS.verifyTop) }, distractors: { type: 'string' },
  retrain: { type: 'string' }, 'query-keypoints': { type: 'string', default: String(DEFAULT_LOOKUP_OPTIONS.queryKeypoints) }, side: { type: 'string', default: String(DEFAULT_LOOKUP_OPTIONS.querySide) }, brute: { type: 'boolean', default: false }, ratio: { type: 'string', default: '0.8' } } });
const s = await openShoplens(loadConfig({ dataDir: values.data!, localFeatures: true }, {}));
const lookup = new LookupService(s.store, { limits: { maxPixels: 4e7, maxBytes: 5e7 }, vocabularyPath: path.join(values.data!, 'lookup-vocabulary.bin'), verifyTop: Number(values['verify-top']), queryKeypoints: Number(values['query-keypoints']), verify: { ratio: Number(values.ratio), maxDistance: 64, ransacThreshold: 0.012, bucketed: !values.brute },
  ...(values.retrain ? { vocabularyPath: path.join(values.data!, 'exp-vocabulary.bin'), vocabulary: { branching: Number(values.retrain.split(',')[0]), depth: Number(values.retrain.split(',')[1]) } } : {}) });
if (values.retrain) console.error('retrain', JSON.stringify(await lookup.update()));
else await lookup.open();
const { queries } = await readQuerySet(values.queries!);
const directInliers: number[] = [];
const rows: { bovwRank: number | null; trueInliers: number; bestWrong: number; direct: number; ms: number }[] = [];
for (const q of queries) {
  const img = await decodeImage(await readFile(q.image), undefined, { maxSide: Number(values.side) });
  const t = performance.now();
  const matches = await lookup.lookup(img, undefined);
  const ms = performance.now() - t;
  const images = await s.store.getImages(matches.map((m) => m.key));
  const byBovw = [...matches].sort((a, b) => b.bovw - a.bovw);
  const isTrue = (k: number) => q.expected!.includes(images.get(k)?.productId ?? '');
  const r = byBovw.findIndex((m) => isTrue(m.key));
  // Direct verification against the true image, bypassing candidate generation.
  const trueKeys = (await s.store.getProductVectors(q.expected![0]!)).map((v) => v.key);
  const direct = await lookup.lookup(img, undefined, (k) => trueKeys.includes(k));
  directInliers.push(direct[0]?.evidence ?? -1);
  rows.push({ bovwRank: r < 0 ? null : r + 1, trueInliers: matches.find((m) => isTrue(m.key))?.evidence ?? 0, bestWrong: Math.max(0, ...matches.filter((m) => !isTrue(m.key)).map((m) => m.evidence)), direct: direct[0]?.evidence ?? 0, ms });
}
const wrongD: number[] = [];
if (values.distractors) {
  const lines = (await readFile(values.distractors, 'utf8')).trim().split('\n').slice(1);
  for (const l of lines) {
    const img = await decodeImage(await readFile(path.resolve(path.dirname(values.distractors), l)), undefined, { maxSide: Number(values.side) });
    wrongD.push(Math.max(0, ...(await lookup.lookup(img, undefined)).map((m) => m.evidence)));
  }
}
const within = (n: number) => rows.filter((r) => r.bovwRank !== null && r.bovwRank <= n).length / rows.length;
const exact = lookup.exactInliers;
const lost = rows.filter((r) => !(r.trueInliers > r.bestWrong));
const causes = {
  notVerifiable: lost.filter((r) => r.direct < exact).length,
  notInCandidates: lost.filter((r) => r.direct >= exact && r.bovwRank === null).length,
  beatenByWrong: lost.filter((r) => r.direct >= exact && r.bovwRank !== null).length,
  of: rows.length,
};
console.log(JSON.stringify({
  causes,
  bovwRecall: { 1: within(1), 10: within(10), 30: within(30), 60: within(60), 100: within(100) },
  trueWins: rows.filter((r) => r.trueInliers > r.bestWrong).length / rows.length,
  trueInliers: rows.map((r) => r.trueInliers).sort((a, b) => a - b),
  bestWrong: rows.map((r) => r.bestWrong).sort((a, b) => a - b),
  distractorBest: wrongD.sort((a, b) => a - b),
  directInliers: directInliers.sort((a, b) => a - b),
  msP50: rows.map((r) => r.ms).sort((a, b) => a - b)[rows.length >> 1],
}));
await s.close();
