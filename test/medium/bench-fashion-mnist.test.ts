import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBench } from '../../src/cli/bench.command.js';
import type { CliIO } from '../../src/cli/context.js';
import { syntheticSplit, writeSyntheticFashionMnist } from '../../src/eval/datasets/idx.fixture.js';
import { averagePrecision, knnVote, precisionAtK } from '../../src/eval/metrics.js';

/** Runs `shoplens bench …` through commander exactly as main.ts wires it (registered here, since main.ts is the lead's). */
async function bench(...args: string[]) {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false };
  let code = 0;
  const program = new Command().name('shoplens').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  registerBench(program, io, (c) => { code = c; });
  try {
    await program.parseAsync(['node', 'shoplens', 'bench', ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = 64;
  }
  return { code, out, err };
}

/** Raw-pixel reference computed the slow, obvious way: cosine on pixel values, full sort, metrics.ts. */
function naiveRawPixels(train: { pixels: Uint8Array; labels: Uint8Array }, test: { pixels: Uint8Array; labels: Uint8Array }, size: number) {
  const n = train.labels.length;
  const cos = (a: Uint8Array, ai: number, b: Uint8Array, bi: number) => {
    let ab = 0, aa = 0, bb = 0;
    for (let d = 0; d < size; d++) { const x = a[ai * size + d]!, y = b[bi * size + d]!; ab += x * y; aa += x * x; bb += y * y; }
    return ab / Math.sqrt(aa * bb);
  };
  let ap = 0, p10 = 0, top1 = 0, knn = 0;
  for (let q = 0; q < test.labels.length; q++) {
    const label = test.labels[q]!;
    const sims = Array.from({ length: n }, (_, i) => cos(test.pixels, q, train.pixels, i));
    const rel = (i: number) => (train.labels[i] === label ? 1 : 0);
    const ids = Array.from({ length: n }, (_, i) => i);
    const relevant = new Set(ids.filter((i) => rel(i)).map(String));
    const apOrder = [...ids].sort((a, b) => sims[b]! - sims[a]! || rel(a) - rel(b) || a - b).map(String);
    const nn = [...ids].sort((a, b) => sims[b]! - sims[a]! || a - b);
    ap += averagePrecision(apOrder, relevant);
    p10 += precisionAtK(nn.map(String), relevant, 10);
    top1 += train.labels[nn[0]!] === label ? 1 : 0;
    knn += knnVote(nn.slice(0, 10).map((i) => train.labels[i]!), 10) === label ? 1 : 0;
  }
  const m = test.labels.length;
  return { mAP: ap / m, 'P@10': p10 / m, top1: top1 / m, knn10: knn / m };
}

describe('shoplens bench fashion-mnist', () => {
  const side = 8;
  const train = syntheticSplit(150, side, 5, 21, 250);
  const test = syntheticSplit(40, side, 5, 22, 250);
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-bench-'));
    await writeSyntheticFashionMnist(dir, train, test, side);
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('--json: one row per extractor, the raw-pixel row equal to a naive brute-force computation', async () => {
    const { code, out } = await bench('fashion-mnist', '--dir', dir, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as { dataset: string; catalog: number; queries: number; results: Record<string, number | string>[]; insights: { classify: { train: number } } };
    expect(report).toMatchObject({ dataset: 'fashion-mnist', catalog: 150, queries: 40 });
    expect(report.insights.classify.train).toBe(150); // default training size capped by the catalog
    expect(report.results.map((r) => r['extractor'])).toEqual(['raw-pixels', 'default', 'raw-pixels-32', 'default-adapted', 'trained']);
    // The adapted and trained rows map the default row's vectors of the same run (fitted on the catalog split only):
    // the adaptation keeps at most count − 1 PCA components (twice: whitened part and anchor mix), the projection gives 128 dimensions.
    expect(report.results[3]).toMatchObject({ base: 'default', dimensions: 298 });
    expect(report.results[4]).toMatchObject({ base: 'default', dimensions: 128 });
    for (const row of report.results.slice(3)) {
      expect(row['trainingSeconds']).toBeGreaterThan(0);
      expect(row['peakMemoryMb']).toBeGreaterThan(0);
    }
    for (const row of report.results) {
      for (const key of ['mAP', 'P@10', 'top1', 'knn10']) {
        expect(row[key]).toBeGreaterThanOrEqual(0);
        expect(row[key]).toBeLessThanOrEqual(1);
      }
      expect(row['seconds']).toBeGreaterThan(0);
    }
    const raw = report.results[0]!;
    expect(raw['dimensions']).toBe(side * side);
    const want = naiveRawPixels(train, test, side * side);
    expect(raw['mAP']).toBeCloseTo(want.mAP, 5);
    expect(raw['P@10']).toBeCloseTo(want['P@10'], 5);
    expect(raw['top1']).toBeCloseTo(want.top1, 5);
    expect(raw['knn10']).toBeCloseTo(want.knn10, 5);
    // the synthetic classes are learnable but noisy: far from chance (0.2), short of perfect
    expect(raw['mAP']).toBeGreaterThan(0.3);
    expect(raw['top1']).toBeLessThan(1);
  });

  it('--json: an insights section from the default row (SVM accuracy, k-means NMI/purity next to raw pixels)', async () => {
    const { code, out } = await bench('fashion-mnist', '--dir', dir, '--json', '--extractors', 'default', '--insights-train', '120');
    expect(code).toBe(0);
    const { insights } = JSON.parse(out) as { insights: { extractor: string; seconds: number; classify: Record<string, number>; cluster: Record<string, number> } };
    expect(insights.extractor).toBe('default');
    expect(insights.classify).toMatchObject({ train: 120, test: 40 });
    // 5 learnable synthetic classes (8×8 px, noisy): above chance (0.2; the run is seeded), no metric outside [0, 1]
    expect(insights.classify['accuracy']).toBeGreaterThan(0.35);
    expect(insights.classify['accuracy']).toBeLessThanOrEqual(1);
    for (const key of ['nmi', 'purity', 'rawNmi', 'rawPurity']) {
      expect(insights.cluster[key]).toBeGreaterThan(0.1);
      expect(insights.cluster[key]).toBeLessThanOrEqual(1);
    }
    expect(insights.cluster).toMatchObject({ k: 10, images: 40 });
    expect(insights.seconds).toBeGreaterThan(0);
  });

  it('no insights section without the default row or with --no-insights', async () => {
    for (const args of [['--extractors', 'raw-pixels'], ['--extractors', 'default', '--no-insights']]) {
      const { code, out } = await bench('fashion-mnist', '--dir', dir, '--json', '--limit-queries', '5', ...args);
      expect(code).toBe(0);
      expect(JSON.parse(out)).not.toHaveProperty('insights');
    }
  });

  it('--extractors, --limit-queries, --limit-catalog and --threads 1 restrict the run', async () => {
    const { code, out } = await bench('fashion-mnist', '--dir', dir, '--json', '--extractors', 'raw-pixels', '--limit-queries', '7', '--limit-catalog', '50', '--threads', '1');
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report).toMatchObject({ catalog: 50, queries: 7, threads: 1 });
    expect(report.results).toHaveLength(1);
    const want = naiveRawPixels(
      { pixels: train.pixels.subarray(0, 50 * side * side), labels: train.labels.subarray(0, 50) },
      { pixels: test.pixels.subarray(0, 7 * side * side), labels: test.labels.subarray(0, 7) },
      side * side,
    );
    expect(report.results[0].mAP).toBeCloseTo(want.mAP, 5);
  });

  it('prints a table without --json', async () => {
    const { code, out } = await bench('fashion-mnist', '--dir', dir, '--extractors', 'raw-pixels,raw-pixels-32', '--limit-queries', '5');
    expect(code).toBe(0);
    expect(out).toMatch(/extractor\s+dims\s+mAP\s+P@10\s+top-1\s+kNN-10\s+seconds/);
    expect(out).toMatch(/^raw-pixels\s+64\s+\d\.\d{4}/m);
    expect(out).toMatch(/^raw-pixels-32\s+1024\s+/m);
  });

  it('a missing dataset: DATASET_NOT_FOUND with the install command, exit 1', async () => {
    const json = await bench('fashion-mnist', '--dir', path.join(dir, 'nowhere'), '--json');
    expect(json.code).toBe(1);
    const body = JSON.parse(json.out);
    expect(body.error.code).toBe('DATASET_NOT_FOUND');
    expect(body.error.message).toContain('apt-get install dataset-fashion-mnist');
    const human = await bench('fashion-mnist', '--dir', path.join(dir, 'nowhere'));
    expect(human.code).toBe(1);
    expect(human.err).toMatch(/^error DATASET_NOT_FOUND: .*apt-get install dataset-fashion-mnist/);
  });

  it('bad options are INVALID_PARAMETER', async () => {
    for (const args of [['--extractors', 'nope'], ['--limit-queries', '0'], ['--limit-catalog', 'x'], ['--insights-train', '0']]) {
      const r = await bench('fashion-mnist', '--dir', dir, '--json', ...args);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).error.code).toBe('INVALID_PARAMETER');
    }
  });
});
