/**
 * Exact-match check for the lookup benchmark: how many distractor photos (no catalog product)
 * get an "exact match" (should be 0), and how exact matches on the labelled queries split into
 * right and wrong products. Also reports the inverted file's memory.
 *
 *   npx tsx bench/lookup/exact-check.ts --data D --queries Q.csv --distractors Q-distractors.csv
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/config.js';
import { readQuerySet } from '../../src/eval/query-set.js';
import { openShoplens } from '../../src/main.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, queries: { type: 'string' }, distractors: { type: 'string' } } });
const s = await openShoplens(loadConfig({ dataDir: values.data!, localFeatures: true }, {}));
try {
  const out: Record<string, unknown> = {};
  if (values.distractors) {
    const lines = (await readFile(values.distractors, 'utf8')).trim().split('\n').slice(1);
    let exact = 0;
    for (const l of lines) {
      const r = await s.search.searchByImage(await readFile(path.resolve(path.dirname(values.distractors), l)), { k: 10 });
      if (r.hits.some((h) => h.match?.exact)) exact++;
    }
    out.distractors = { photos: lines.length, withExactMatch: exact };
  }
  if (values.queries) {
    const { queries } = await readQuerySet(values.queries);
    let right = 0, wrong = 0, none = 0;
    for (const q of queries) {
      const r = await s.search.searchByImage(await readFile(q.image), { k: 10 });
      const first = r.hits[0];
      if (!first?.match?.exact) none++;
      else if (q.expected?.includes(first.product.id)) right++;
      else wrong++;
    }
    out.queries = { photos: queries.length, exactRight: right, exactWrong: wrong, notExact: none };
  }
  out.invertedFileMB = Math.round(((s.lookup?.indexMemoryBytes ?? 0) / 1e6) * 10) / 10;
  out.layouts = s.lookup?.layoutCount ?? 0;
  out.shapes = s.lookup?.shapeCount ?? 0;
  out.outlines = s.lookup?.outlineCount ?? 0;
  out.lines = s.lookup?.lineCount ?? 0;
  console.log(JSON.stringify(out));
} finally {
  await s.close();
}
