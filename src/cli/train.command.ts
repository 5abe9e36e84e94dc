import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { Config } from '../config/config.js';
import { AppError } from '../domain/errors.js';
import { evaluate, type EvalReport } from '../eval/eval.service.js';
import { readQuerySet, type EvalQuery } from '../eval/query-set.js';
import { identityKey } from '../features/feature-extractor.js';
import type { TrainingProgress } from '../features/trained/projection.js';
import { removeProjection } from '../features/trained/projection-file.js';
import { trainCatalogProjection, type CatalogTrainingReport } from '../features/trained/train.service.js';
import { TrainedExtractor } from '../features/trained/trained.extractor.js';
import type { Shoplens } from '../main.js';
import { configFrom, parseK, reportError, withShoplens, type CliIO, type CommonOptions } from './context.js';

interface TrainFlags extends CommonOptions {
  queries?: string;
  k?: string;
  epochs?: string;
  seed?: string;
  reset?: boolean;
}

type EvalSummary = Omit<EvalReport, 'perQuery' | 'failed'> & { failed: number };

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || value.trim() === '') throw new AppError('INVALID_PARAMETER', `--${flag} must be a non-negative integer, got "${value}"`);
  return n;
}

/** `shoplens train`: learn a projection of the features from the catalog's categories (or go back with --reset). */
export function registerTrain(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('train')
    .description('learn a projection of the image features from the catalog\'s categories; the index is rebuilt with it')
    .option('--data <dir>', 'data directory')
    .option('--queries <file>', 'eval CSV (as for `shoplens eval`): print search quality before and after')
    .option('--k <n>', 'eval retrieval depth', '100')
    .option('--epochs <n>', 'training epochs (default 6)')
    .option('--seed <n>', 'random seed (same data and seed give the same projection)')
    .option('--reset', 'remove the trained projection and go back to the base extractor')
    .option('--json', 'print JSON')
    .action(async (flags: TrainFlags) => {
      let bar: cliProgress.SingleBar | undefined;
      try {
        const config = configFrom(flags);
        const queries = flags.queries !== undefined ? (await readQuerySet(path.resolve(flags.queries))).queries : null;
        const depth = Math.max(10, parseK(flags.k, 100));
        const epochs = positiveInt('epochs', flags.epochs);
        const seed = positiveInt('seed', flags.seed);
        const measure = async (): Promise<{ extractor: string; eval: EvalSummary | null }> =>
          withShoplens(config, io, async (s) => ({ extractor: identityKey(s.extractor.identity), eval: queries ? await runEval(s, queries, config, depth) : null }));

        if (flags.reset) {
          const removed = await removeProjection(config.dataDir);
          const after = await measure();
          const out = { reset: removed, extractor: after.extractor, eval: after.eval };
          io.out(flags.json ? `${JSON.stringify(out)}\n` : `${removed ? 'trained projection removed' : 'no trained projection to remove'}; extractor ${after.extractor}\n${after.eval ? formatEval('eval', after.eval) : ''}`);
          setExit(0);
          return;
        }

        const before = await measure();
        let report: CatalogTrainingReport | undefined;
        await withShoplens(config, io, async (s) => {
          const base = s.extractor instanceof TrainedExtractor ? s.extractor.base.identity : s.extractor.identity;
          let phase = '';
          const onProgress = (p: TrainingProgress) => {
            if (!io.isTTY) return;
            if (p.phase !== phase) {
              bar?.stop();
              phase = p.phase;
              bar = new cliProgress.SingleBar({ format: `${p.phase === 'pca' ? 'PCA  ' : 'train'} [{bar}] {value}/{total} {loss}`, stream: process.stderr }, cliProgress.Presets.shades_classic);
              bar.start(p.total, 0, { loss: '' });
            }
            bar?.update(p.done, { loss: p.loss !== undefined ? `loss ${p.loss.toFixed(3)}` : '' });
          };
          report = await trainCatalogProjection(config.dataDir, s.store, base, {
            ...(epochs !== undefined ? { epochs } : {}), ...(seed !== undefined ? { seed } : {}),
          }, onProgress);
          bar?.stop();
        });
        const r = report!;
        // Opening again picks the projection up: new identity, so the index is rebuilt from the store.
        const after = await measure();
        const out = {
          before: before.extractor,
          after: after.extractor,
          categories: r.manifest.categories.length,
          examples: r.result.examples,
          dimensions: r.manifest.outputDimensions,
          trainingSeconds: Math.round(r.result.seconds * 10) / 10,
          peakMemoryMb: r.peakMemoryMb,
          finalLoss: r.result.finalLoss,
          eval: before.eval && after.eval ? { before: before.eval, after: after.eval } : undefined,
        };
        if (flags.json) io.out(`${JSON.stringify(out)}\n`);
        else {
          io.out(
            [
              `trained on ${out.examples} images in ${out.categories} categories: ${out.trainingSeconds} s, peak memory ${out.peakMemoryMb} MB, final loss ${out.finalLoss.toFixed(3)}`,
              `extractor ${out.before} → ${out.after}`,
              ...(before.eval ? [formatEval('eval before', before.eval)] : []),
              ...(after.eval ? [formatEval('eval after ', after.eval)] : []),
            ].join('\n').trimEnd() + '\n',
          );
        }
        setExit(0);
      } catch (err) {
        bar?.stop();
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}

async function runEval(s: Shoplens, queries: EvalQuery[], config: Config, depth: number): Promise<EvalSummary> {
  const report = await evaluate(queries, s.search, s.store, { depth, maxImageBytes: config.maxImageBytes, fetchTimeoutMs: config.fetchTimeoutMs });
  const { perQuery: _perQuery, failed, ...rest } = report;
  return { ...rest, failed: failed.length };
}

function formatEval(label: string, e: EvalSummary): string {
  return `${label}: recall@1 ${e['recall@1'].toFixed(4)}  recall@10 ${e['recall@10'].toFixed(4)}  mAP ${e.mAP.toFixed(4)}  nDCG@10 ${e['ndcg@10'].toFixed(4)}  (${e.queries} queries, ${e.failed} failed, p50 ${e.latency_ms.p50.toFixed(1)} ms)`;
}
