import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Config } from '../config/config.js';
import { AppError } from '../domain/errors.js';
import { evaluate, type EvalReport } from '../eval/eval.service.js';
import { readQuerySet, type EvalQuery } from '../eval/query-set.js';
import { identityKey, type ExtractorIdentity } from '../features/feature-extractor.js';
import { ProjectedExtractor } from '../features/projected.extractor.js';
import type { Shoplens } from '../main.js';
import { configFrom, parseK, withShoplens, type CliIO, type CommonOptions } from './context.js';

/*
 * What `shoplens train` and `shoplens adapt` share: both fit a map of the stored base vectors on
 * the catalog, print eval figures before and after when given queries, and go back with --reset.
 */

export interface CatalogFitFlags extends CommonOptions {
  queries?: string;
  k?: string;
  seed?: string;
  reset?: boolean;
}

export type EvalSummary = Omit<EvalReport, 'perQuery' | 'failed'> & { failed: number };
export type Measurement = { extractor: string; eval: EvalSummary | null };

export function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || value.trim() === '') throw new AppError('INVALID_PARAMETER', `--${flag} must be a non-negative integer, got "${value}"`);
  return n;
}

/** Config, seed, and `measure()`: opens shoplens (rebuilding the index if the identity changed) and evaluates the queries if any. */
export async function catalogFitSetup(flags: CatalogFitFlags, io: CliIO): Promise<{ config: Config; seed: number | undefined; measure: () => Promise<Measurement> }> {
  const config = configFrom(flags);
  const queries = flags.queries !== undefined ? (await readQuerySet(path.resolve(flags.queries))).queries : null;
  const depth = Math.max(10, parseK(flags.k, 100));
  const seed = positiveInt('seed', flags.seed);
  const measure = (): Promise<Measurement> =>
    withShoplens(config, io, async (s) => ({ extractor: identityKey(s.extractor.identity), eval: queries ? await runEval(s, queries, config, depth) : null }));
  return { config, seed, measure };
}

/** `--reset`: removes the fitted map (via `remove`), reopens on the base extractor and prints what happened. */
export async function resetCatalogFit(
  flags: CatalogFitFlags, io: CliIO, what: string, remove: () => Promise<boolean>, measure: () => Promise<Measurement>,
): Promise<void> {
  const removed = await remove();
  const after = await measure();
  const out = { reset: removed, extractor: after.extractor, eval: after.eval };
  io.out(flags.json ? `${JSON.stringify(out)}\n` : `${removed ? `${what} removed` : `no ${what} to remove`}; extractor ${after.extractor}\n${after.eval ? formatEval('eval', after.eval) : ''}`);
}

/** The base extractor's identity under any catalog-fitted map. */
export function baseIdentity(s: Shoplens): ExtractorIdentity {
  return s.extractor instanceof ProjectedExtractor ? s.extractor.base.identity : s.extractor.identity;
}

/** One progress bar per phase on stderr (TTY only). */
export class PhaseBars {
  private bar: cliProgress.SingleBar | undefined;
  private phase = '';

  constructor(private readonly io: CliIO) {}

  update(phase: string, label: string, done: number, total: number, note = ''): void {
    if (!this.io.isTTY) return;
    if (phase !== this.phase) {
      this.stop();
      this.phase = phase;
      this.bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total} {note}`, stream: process.stderr }, cliProgress.Presets.shades_classic);
      this.bar.start(total, 0, { note: '' });
    }
    this.bar?.update(done, { note });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

export async function runEval(s: Shoplens, queries: EvalQuery[], config: Config, depth: number): Promise<EvalSummary> {
  const report = await evaluate(queries, s.search, s.store, { depth, maxImageBytes: config.maxImageBytes, fetchTimeoutMs: config.fetchTimeoutMs });
  const { perQuery: _perQuery, failed, ...rest } = report;
  return { ...rest, failed: failed.length };
}

export function formatEval(label: string, e: EvalSummary): string {
  return `${label}: recall@1 ${e['recall@1'].toFixed(4)}  recall@10 ${e['recall@10'].toFixed(4)}  mAP ${e.mAP.toFixed(4)}  nDCG@10 ${e['ndcg@10'].toFixed(4)}  (${e.queries} queries, ${e.failed} failed, p50 ${e.latency_ms.p50.toFixed(1)} ms)`;
}
