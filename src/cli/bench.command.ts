import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { AppError } from '../domain/errors.js';
import { benchExtractorNames } from '../eval/bench/bench-extractors.js';
import { runFashionMnistBench, type BenchProgress, type FashionMnistBenchReport } from '../eval/bench/fashion-mnist.bench.js';
import { parseList, reportError, type CliIO } from './context.js';

interface FashionMnistFlags {
  dir?: string;
  json?: boolean;
  extractors?: string;
  limitQueries?: string;
  limitCatalog?: string;
  threads?: string;
}

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || value.trim() === '') throw new AppError('INVALID_PARAMETER', `--${flag} must be a positive integer, got "${value}"`);
  return n;
}

/** Readable table of a bench report, one row per extractor. */
export function formatBenchTable(report: FashionMnistBenchReport): string {
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
    .option('--extractors <names>', `comma-separated rows to run (${benchExtractorNames().join(', ')}); default all`)
    .option('--limit-queries <n>', 'use only the first n test images as queries (quick run)')
    .option('--limit-catalog <n>', 'use only the first n training images as the catalog (quick run)')
    .option('--threads <n>', 'worker threads (default: up to 2)')
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
        const report = await runFashionMnistBench({ ...options, ...(onProgress ? { onProgress } : {}) });
        bar?.stop();
        io.out(flags.json ? `${JSON.stringify(report)}\n` : formatBenchTable(report));
        setExit(0);
      } catch (err) {
        bar?.stop();
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}
