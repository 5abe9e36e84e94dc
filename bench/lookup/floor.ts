/**
 * The local-feature floor, with no candidate stage: each TUNING photo is verified directly against
 * its true catalog image and against `--wrong` random other catalog images (all pairs brute-force
 * matched, no vocabulary), for several extraction settings. Tells whether keypoints/descriptors
 * (not candidates or the threshold) are what limits recall.
 *   npx tsx bench/lookup/floor.ts --bench /tmp/lookup-bench --queries tuning.csv [--limit 60] [--wrong 10]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { extractLocalFeatures, type LocalFeatureOptions, type LocalFeatures } from '../../src/features/local/local-features.js';
import { decodeImage } from '../../src/imaging/index.js';
import { seededRandom } from '../../src/eval/random.js';
import { verifyCandidate, DEFAULT_VERIFY_OPTIONS } from '../../src/search/lookup/verify.js';

const { values } = parseArgs({ options: { bench: { type: 'string', default: '/tmp/lookup-bench' }, queries: { type: 'string', default: 'tuning.csv' }, limit: { type: 'string', default: '60' },
  wrong: { type: 'string', default: '10' }, configs: { type: 'string', default: 'base' }, show: { type: 'boolean', default: false } } });

interface Setup { catalogSide: number; querySide: number; catalog: LocalFeatureOptions; query: LocalFeatureOptions; /** Extra catalog renditions (longest side) merged into the features. */ extraSides?: number[] }
const SETUPS: Record<string, Setup> = {
  base: { catalogSide: 512, querySide: 640, catalog: { maxKeypoints: 500 }, query: { maxKeypoints: 2500 } },
  q1000: { catalogSide: 512, querySide: 640, catalog: { maxKeypoints: 500 }, query: { maxKeypoints: 1000 } },
  c1000: { catalogSide: 512, querySide: 640, catalog: { maxKeypoints: 1000 }, query: { maxKeypoints: 2500 } },
  q480: { catalogSide: 512, querySide: 480, catalog: { maxKeypoints: 500 }, query: { maxKeypoints: 2500 } },
  fast7: { catalogSide: 512, querySide: 640, catalog: { maxKeypoints: 500, fastThreshold: 7 }, query: { maxKeypoints: 2500, fastThreshold: 7 } },
  c256q480: { catalogSide: 256, querySide: 480, catalog: { maxKeypoints: 500 }, query: { maxKeypoints: 2500 } },
  c200q480: { catalogSide: 200, querySide: 480, catalog: { maxKeypoints: 500 }, query: { maxKeypoints: 2500 } },
  c320q480: { catalogSide: 320, querySide: 480, catalog: { maxKeypoints: 500 }, query: { maxKeypoints: 2500 } },
  ms400q480: { catalogSide: 512, querySide: 480, catalog: { maxKeypoints: 300 }, query: { maxKeypoints: 2500 }, extraSides: [200] },
  ms256q480: { catalogSide: 256, querySide: 480, catalog: { maxKeypoints: 350 }, query: { maxKeypoints: 2500 }, extraSides: [160] },
  q5000: { catalogSide: 512, querySide: 640, catalog: { maxKeypoints: 500 }, query: { maxKeypoints: 5000 } },
  q8000f7: { catalogSide: 512, querySide: 640, catalog: { maxKeypoints: 500 }, query: { maxKeypoints: 8000, fastThreshold: 7 } },
  spread3000: { catalogSide: 512, querySide: 640, catalog: { maxKeypoints: 500 }, query: { maxKeypoints: 3000, fastThreshold: 7, spread: { detect: 8000, grid: 8 } } },
  top3000f7: { catalogSide: 512, querySide: 640, catalog: { maxKeypoints: 500 }, query: { maxKeypoints: 3000, fastThreshold: 7 } },
  c256:  { catalogSide: 256, querySide: 640, catalog: { maxKeypoints: 500 }, query: { maxKeypoints: 2500 } },
};

const bench = values.bench;
const rows = (await readFile(path.join(bench, values.queries), 'utf8')).trim().split('\n').slice(1).slice(0, Number(values.limit)).map((l) => l.split(','));
const catalogIds = (await readFile(path.join(bench, 'catalog.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',')[0]!);
const rand = seededRandom(5);
const limits = { maxPixels: 4e7, maxBytes: 5e7 };
const branchesOf = (f: LocalFeatures) => ({ features: f, words: new Uint32Array(f.count), branches: new Uint8Array(f.count) });
const verify = { ...DEFAULT_VERIFY_OPTIONS, bucketed: false };

/** b's keypoints scaled into a's pixels and appended. */
function merge(a: LocalFeatures, b: LocalFeatures): LocalFeatures {
  const k = a.width / b.width;
  const xy = new Float32Array(2 * (a.count + b.count));
  xy.set(a.xy);
  for (let i = 0; i < 2 * b.count; i++) xy[2 * a.count + i] = b.xy[i]! * k;
  const descriptors = new Uint8Array(a.descriptors.length + b.descriptors.length);
  descriptors.set(a.descriptors);
  descriptors.set(b.descriptors, a.descriptors.length);
  return { width: a.width, height: a.height, count: a.count + b.count, xy, descriptors };
}

for (const name of values.configs.split(',')) {
  const s = SETUPS[name];
  if (!s) throw new Error(`unknown config ${name}`);
  const cache = new Map<string, LocalFeatures>();
  const catalogFeatures = async (id: string): Promise<LocalFeatures> => {
    let f = cache.get(id);
    if (!f) {
      const bytes = await readFile(path.join(bench, 'images', `${id}.jpg`));
      f = await extractLocalFeatures(await decodeImage(bytes, limits, { maxSide: s.catalogSide }), s.catalog);
      for (const side of s.extraSides ?? []) f = merge(f, await extractLocalFeatures(await decodeImage(bytes, limits, { maxSide: side }), s.catalog));
      cache.set(id, f);
    }
    return f;
  };
  const truth: number[] = [], wrongMax: number[] = [], kps: number[] = [];
  const failing: string[] = [];
  let extractMs = 0;
  for (const [file, expected] of rows) {
    const img = await decodeImage(await readFile(path.join(bench, file!)), limits, { maxSide: s.querySide });
    const t = performance.now();
    const q = await extractLocalFeatures(img, s.query);
    extractMs += performance.now() - t;
    kps.push(q.count);
    const ev = async (id: string) => {
      const r = await verifyCandidate(branchesOf(q), branchesOf(await catalogFeatures(id)), verify);
      return Math.round(r.inliers * Math.min(1, r.coverage / 0.5));
    };
    truth.push(await ev(expected!));
    if (truth[truth.length - 1]! < 8) failing.push(`${file}:${truth[truth.length - 1]}`);
    let w = 0;
    for (let i = 0; i < Number(values.wrong); i++) {
      const id = catalogIds[Math.floor(rand() * catalogIds.length)]!;
      if (id !== expected) w = Math.max(w, await ev(id));
    }
    wrongMax.push(w);
  }
  const frac = (a: number[], t: number) => Math.round((a.filter((v) => v >= t).length / a.length) * 1000) / 1000;
  truth.sort((a, b) => a - b);
  wrongMax.sort((a, b) => a - b);
  console.log(JSON.stringify({ name, n: rows.length, 'truth>=8': frac(truth, 8), 'truth>=12': frac(truth, 12), 'truth>=20': frac(truth, 20), truthP25: truth[truth.length >> 2], truthMed: truth[truth.length >> 1],
    wrongMax: wrongMax.slice(-5), 'wrong>=8': frac(wrongMax, 8), extractMs: Math.round(extractMs / rows.length), kps: Math.round(kps.reduce((a, b) => a + b, 0) / kps.length), ...(values.show ? { failing } : {}) }));
}
