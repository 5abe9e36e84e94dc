import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { AppError } from '../domain/errors.js';
import { ADAPTED_ROW, fashionMnistRowNames, runFashionMnistBench, type BenchProgress, type FashionMnistBenchReport, type RowVectors } from '../eval/bench/fashion-mnist.bench.js';
import { fashionMnistInsightsSection, type FashionMnistInsightsSection } from '../insights/fashion-mnist-insights.js';
import { parseList, reportError, type CliIO } from './context.js';

interface FashionMnistFlags {
  dir?: string;
  json?: boolean;
  extractors?: string;
  limitQueries?: string;
  limitCatalog?: string;
  threads?: string;
  insights?: boolean;
  insightsTrain?: string;
}

/** The row whose vectors the insights section uses. */
const INSIGHTS_EXTRACTOR = 'default';
/**
 * SVM training images in the insights section by default. RBF training and prediction grow with
 * N (measured here: 20 000 → accuracy 0.909, 60 000 → 0.925 at ~6 min more), and the whole default
 * run has to stay within 10 minutes on 2 cores; --insights-train 60000 gives the full-split figure.
 */
const DEFAULT_INSIGHTS_TRAIN = 20_000;

/** `insights` next to `results`: classification and clustering on the default row's vectors of the same run. */
export type BenchInsights = FashionMnistInsightsSection & { extractor: string; seconds: number };

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || value.trim() === '') throw new AppError('INVALID_PARAMETER', `--${flag} must be a positive integer, got "${value}"`);
  return n;
}

/** Readable table of a bench report, one row per extractor. */
function insightsLines(report: FashionMnistBenchReport & { insights?: BenchInsights }): string[] {
  const i = report.insights;
  if (!i) return [];
  return [
    `insights on ${i.extractor} vectors (${i.seconds.toFixed(1)} s):`,
    `  classify.accuracy ${i.classify.accuracy.toFixed(4)}  (${i.classify.method}, ${i.classify.train} train / ${i.classify.test} test)`,
    `  cluster.nmi ${i.cluster.nmi.toFixed(4)}  cluster.purity ${i.cluster.purity.toFixed(4)}  cluster.rawNmi ${i.cluster.rawNmi.toFixed(4)}  (k-means k = ${i.cluster.k} on ${i.cluster.images} test images)`,
  ];
}

export function formatBenchTable(report: FashionMnistBenchReport & { insights?: BenchInsights }): string {
  const header = ['extractor', 'dims', 'mAP', 'P@10', 'top-1', 'kNN-10', 'seconds'];
  const rows = report.results.map((r) => [
    r.extractor, String(r.dimensions), r.mAP.toFixed(4), r['P@10'].toFixed(4), r.top1.toFixed(4), r.knn10.toFixed(4), r.seconds.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `${report.dataset}: ${report.queries} queries against ${report.catalog} catalog images, exact cosine ranking, relevant = ${report.relevant}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...report.results.filter((r) => r.trainingSeconds !== undefined).map((r) =>
      `${r.extractor}: ${r.extractor === ADAPTED_ROW ? 'adaptation' : 'projection'} of the ${r.base} row's vectors, fitted on the catalog split ${r.extractor === ADAPTED_ROW ? '(no labels)' : 'and its labels'} in ${r.trainingSeconds!.toFixed(1)} s, peak memory ${r.peakMemoryMb} MB`),
    ...insightsLines(report),
    `total ${report.results.reduce((a, r) => a + r.seconds, 0).toFixed(1)} s with ${report.threads} worker thread(s) on ${report.machine.cores} × ${report.machine.cpu} (load average ${report.machine.loadAverage} at start)`,
  ].join('\n') + '\n';
}

/** `shoplens bench <dataset>`: retrieval quality of every extractor on a public labelled dataset. */
export function registerBench(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const bench = program.command('bench').description('measure retrieval quality of the feature extractors on a public dataset');
  bench
    .command('fashion-mnist')
    .description('Fashion-MNIST: 10,000 test images query the 60,000 training images (mAP, P@10, top-1, kNN-10)')
    .option('--dir <dir>', 'folder with the four Fashion-MNIST IDX files (default: where `apt-get install dataset-fashion-mnist` puts them)')
    .option('--extractors <names>', `comma-separated rows to run (${fashionMnistRowNames().join(', ')}); default all`)
    .option('--limit-queries <n>', 'use only the first n test images as queries (quick run)')
    .option('--limit-catalog <n>', 'use only the first n training images as the catalog (quick run)')
    .option('--threads <n>', 'worker threads (default: up to 2)')
    .option('--no-insights', `skip the insights section (SVM classify.accuracy, k-means cluster.nmi/purity/rawNmi on the ${INSIGHTS_EXTRACTOR} row's vectors)`)
    .option('--insights-train <n>', `training images for the insights SVM (default ${DEFAULT_INSIGHTS_TRAIN}; all 60,000 take ~6 more minutes)`)
    .option('--json', 'print JSON')
    .action(async (flags: FashionMnistFlags) => {
      let bar: cliProgress.SingleBar | undefined;
      try {
        const options = {
          ...(flags.dir !== undefined ? { dir: path.resolve(flags.dir) } : {}),
          ...(flags.extractors !== undefined ? { extractors: parseList(flags.extractors) ?? [] } : {}),
          limitQueries: positiveInt('limit-queries', flags.limitQueries),
          limitCatalog: positiveInt('limit-catalog', flags.limitCatalog),
          threads: positiveInt('threads', flags.threads),
        };
        const trainLimit = positiveInt('insights-train', flags.insightsTrain) ?? DEFAULT_INSIGHTS_TRAIN;
        let current = '';
        const onProgress = io.isTTY
          ? (p: BenchProgress) => {
              const label = `${p.extractor} ${p.phase}`;
              if (label !== current) {
                bar?.stop();
                bar = new cliProgress.SingleBar({ format: `${label.padEnd(24)} [{bar}] {value}/{total}`, stream: process.stderr }, cliProgress.Presets.shades_classic);
                bar.start(p.total, 0);
                current = label;
              }
              bar?.update(p.done);
            }
          : undefined;
        let insights: BenchInsights | undefined;
        const onRowVectors = async (row: RowVectors) => {
          if (flags.insights === false || row.extractor !== INSIGHTS_EXTRACTOR) return;
          bar?.stop();
          bar = undefined;
          current = '';
          if (io.isTTY) process.stderr.write('insights: k-means and SVM on the default vectors…\n');
          insights = await insightsSection(row, trainLimit);
        };
        const report = await runFashionMnistBench({ ...options, ...(onProgress ? { onProgress } : {}), onRowVectors });
        bar?.stop();
        const full = insights ? { ...report, insights } : report;
        io.out(flags.json ? `${JSON.stringify(full)}\n` : formatBenchTable(full));
        setExit(0);
      } catch (err) {
        bar?.stop();
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}

/** The insights section from one row's vectors: train split = catalog rows, test split = query rows. */
async function insightsSection(row: RowVectors, trainLimit: number): Promise<BenchInsights> {
  const started = performance.now();
  const d = row.dimensions;
  const section = await fashionMnistInsightsSection(
    { vectors: row.vectors.subarray(0, row.catalog.count * d), dimensions: d, labels: row.catalog.labels },
    { vectors: row.vectors.subarray(row.catalog.count * d, (row.catalog.count + row.queries.count) * d), dimensions: d, labels: row.queries.labels },
    { pixels: row.queries.pixels, size: row.queries.rows * row.queries.cols },
    { trainLimit },
  );
  return { extractor: row.extractor, ...section, seconds: (performance.now() - started) / 1000 };
}
