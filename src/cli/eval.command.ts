import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { evaluate } from '../eval/eval.service.js';
import { readQuerySet } from '../eval/query-set.js';
import { configFrom, parseK, reportError, withShoplens, type CliIO, type CommonOptions } from './context.js';

interface EvalFlags extends CommonOptions {
  queries: string;
  k?: string;
  perQuery?: boolean;
}

/** `shoplens eval`: check search quality on your own labelled photos before going live. */
export function registerEval(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('eval')
    .description('measure search quality on labelled query photos (recall@1/5/10, mAP, nDCG@10, latency)')
    .requiredOption('--queries <file>', 'CSV with columns image and expected (ids, |-separated) or category')
    .option('--data <dir>', 'data directory')
    .option('--k <n>', 'retrieval depth per query (metrics and mAP look this deep; at least 10)', '100')
    .option('--per-query', 'include each query\'s rank in the JSON output')
    .option('--json', 'print JSON')
    .action(async (flags: EvalFlags) => {
      try {
        const { queries, invalid } = await readQuerySet(path.resolve(flags.queries));
        const config = configFrom(flags);
        const depth = Math.max(10, parseK(flags.k, 100));
        const report = await withShoplens(config, io, async (s) => {
          const bar = io.isTTY ? new cliProgress.SingleBar({ format: 'eval [{bar}] {value}/{total} queries', stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
          bar?.start(queries.length, 0);
          try {
            return await evaluate(queries, s.search, s.store, {
              depth, maxImageBytes: config.maxImageBytes, fetchTimeoutMs: config.fetchTimeoutMs,
              onProgress: (done) => bar?.update(done),
            });
          } finally {
            bar?.stop();
          }
        });
        const failed = [...invalid.map((i) => ({ row: i.row, image: '', code: 'INVALID_PARAMETER', reason: i.reason })), ...report.failed];
        if (flags.json) {
          const { perQuery, ...rest } = report;
          io.out(`${JSON.stringify({ ...rest, failed, ...(flags.perQuery ? { perQuery } : {}) })}\n`);
        } else {
          io.out(
            [
              `queries: ${report.queries} evaluated, ${failed.length} failed (depth ${report.depth})`,
              `recall@1 ${report['recall@1'].toFixed(4)}   recall@5 ${report['recall@5'].toFixed(4)}   recall@10 ${report['recall@10'].toFixed(4)}`,
              `found@1 ${report['found@1'].toFixed(4)}   found@10 ${report['found@10'].toFixed(4)}   (a relevant product in the top 1 / 10)`,
              `mAP ${report.mAP.toFixed(4)}   nDCG@10 ${report['ndcg@10'].toFixed(4)}`,
              `latency per query: p50 ${report.latency_ms.p50.toFixed(1)} ms, p95 ${report.latency_ms.p95.toFixed(1)} ms`,
              ...failed.map((f) => `  row ${f.row}: ${f.code}: ${f.reason}`),
            ].join('\n') + '\n',
          );
        }
        setExit(failed.length > 0 ? 2 : 0);
      } catch (err) {
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}
