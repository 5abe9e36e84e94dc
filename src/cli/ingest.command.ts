import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { IngestReport } from '../ingest/ingest.service.js';
import type { LookupProgress } from '../search/lookup/lookup.service.js';
import { readCatalog } from '../ingest/readers/catalog-reader.js';
import type { Config } from '../config/config.js';
import { toAppError } from '../domain/errors.js';
import { adaptToCatalog } from '../features/adapted/adapt.service.js';
import { adaptedDimensions } from '../features/adapted/adaptation.js';
import { adaptedIdentity } from '../features/adapted/adaptation-file.js';
import { ProjectedExtractor } from '../features/projected.extractor.js';
import { recordLookupSetting, type Shoplens } from '../main.js';
import { PhaseBars } from './catalog-fit.js';
import { configFrom, reportError, withShoplens, type CliIO, type CommonOptions } from './context.js';

interface IngestFlags extends CommonOptions {
  deleteMissing?: boolean;
  progress?: boolean;
  concurrency?: string;
  adapt?: boolean;
  /** --lookup / --no-lookup: turn product lookup on or off for this data directory (recorded); unset keeps its setting. */
  lookup?: boolean;
}

/** Exit codes: 0 all rows stored or unchanged, 2 some rows failed (reported), 1 the import could not run. */
export function registerIngest(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('ingest')
    .description('import a catalog (CSV, JSONL, or a folder of images) and index its images')
    .argument('<catalog>', 'catalog.csv, catalog.jsonl, or a folder (sub-folder name = category)')
    .option('--data <dir>', 'data directory (default ./shoplens-data or $SHOPLENS_DATA)')
    .option('--delete-missing', 'delete stored products the catalog no longer lists')
    .option('--concurrency <n>', 'images analysed in parallel')
    .option('--no-progress', 'no progress bar')
    .option('--no-adapt', 'do not adapt the features to the catalog even when it is large enough (see SHOPLENS_AUTO_ADAPT_MIN_IMAGES)')
    .option('--lookup', 'turn product lookup on for this data directory (finds the exact product in shoppers\' photos; ingest is slower), from now on')
    .option('--no-lookup', 'turn product lookup off for this data directory, from now on (its stored features are kept)')
    .option('--json', 'print the report as JSON')
    .action(async (catalog: string, flags: IngestFlags) => {
      setExit(await runIngest(catalog, flags, io));
    });
}

/** Bar labels of product lookup's steps after an ingest. */
const LOOKUP_STEPS: Record<LookupProgress['step'], string> = {
  checking: 'lookup: checking stored keypoints (an older analysis is redone)',
  vocabulary: 'lookup: training its vocabulary',
  calibrating: 'lookup: calibrating edge templates (collages)',
  quantising: 'lookup: visual words of the images',
};

type AdaptationSummary = { images: number; dimensions: number; seconds: number; extractor: string } | { error: { code: string; message: string } };

/**
 * The label-free adaptation (`shoplens adapt`) once the catalog holds config.autoAdaptMinImages images
 * and no catalog-fitted map exists. A failure is reported, never fatal: the import is already stored.
 */
async function autoAdapt(s: Shoplens, config: Config, io: CliIO): Promise<AdaptationSummary | undefined> {
  if (config.autoAdaptMinImages === 0 || s.extractor instanceof ProjectedExtractor) return undefined;
  const images = (await s.store.stats()).images;
  if (images < config.autoAdaptMinImages) return undefined;
  io.err(`adapting the features to the catalog (${images} images, no labels; SHOPLENS_AUTO_ADAPT_MIN_IMAGES=0 or --no-adapt skips this)\n`);
  const bars = new PhaseBars(io);
  try {
    const r = await adaptToCatalog(config.dataDir, s.store, s.extractor.identity, {}, (p) => bars.update(p.phase, p.phase.padEnd(9), p.done, p.total));
    bars.stop();
    return { images: r.result.examples, dimensions: adaptedDimensions(r.manifest), seconds: Math.round(r.result.seconds * 10) / 10, extractor: adaptedIdentity(s.extractor.identity, r.manifest).name };
  } catch (err) {
    bars.stop();
    const e = toAppError(err);
    io.err(`warning: adapting to the catalog failed (${e.code}: ${e.message}); the import is stored, search uses the base features\n`);
    return { error: { code: e.code, message: e.message } };
  }
}

export async function runIngest(catalog: string, flags: IngestFlags, io: CliIO): Promise<number> {
  try {
    const config = configFrom(flags, { ingestConcurrency: flags.concurrency, localFeatures: flags.lookup });
    const location = path.resolve(catalog);
    const showBar = io.isTTY && flags.progress !== false;
    const report = await withShoplens(config, io, async (s) => {
      if (flags.lookup !== undefined) await recordLookupSetting(s.store, flags.lookup);
      let bar: cliProgress.SingleBar | undefined;
      if (showBar) {
        let total = 0;
        for await (const _row of readCatalog(location)) total++;
        bar = new cliProgress.SingleBar(
          { format: 'ingest [{bar}] {percentage}% | {value}/{total} rows | {failed} failed | {eta_formatted} left', stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { failed: 0 });
      }
      // After the rows, product lookup's own steps (LookupService.update), one bar each.
      const lookupBars = new PhaseBars(showBar ? io : { ...io, isTTY: false });
      let done: IngestReport;
      try {
        done = await s.ingest.ingest(location, {
          deleteMissing: Boolean(flags.deleteMissing),
          onProgress: (p) => {
            if (p.phase !== 'lookup' || !p.lookup) {
              bar?.update(p.processed, { failed: p.failed });
              return;
            }
            bar?.stop();
            bar = undefined;
            lookupBars.update(p.lookup.step, LOOKUP_STEPS[p.lookup.step], p.lookup.done, p.lookup.total);
          },
        });
      } finally {
        bar?.stop();
        lookupBars.stop();
      }
      return { ...done, adaptation: flags.adapt === false ? undefined : await autoAdapt(s, config, io) };
    });
    // A new adaptation gives a new identity: opening again rebuilds the index now rather than at the next search.
    if (report.adaptation && !('error' in report.adaptation)) await withShoplens(config, io, () => Promise.resolve());
    io.out(flags.json ? `${JSON.stringify(report)}\n` : formatReport(report));
    return report.failed.length > 0 ? 2 : 0;
  } catch (err) {
    return reportError(err, io, Boolean(flags.json));
  }
}

function formatReport(r: IngestReport & { adaptation?: AdaptationSummary | undefined }): string {
  const lines: string[] = [];
  lines.push(`catalog: ${r.catalog}`);
  lines.push(
    `rows: ${r.rows} | created ${r.created} | updated ${r.updated} | unchanged ${r.unchanged} | deleted ${r.deleted} | failed ${r.failed.length}`,
  );
  lines.push(
    `images analysed: ${r.imagesAnalysed} (reused ${r.imagesReused}) in ${(r.durationMs / 1000).toFixed(1)} s` +
      (r.imagesAnalysed > 0 ? ` — ${r.imagesPerSecond.toFixed(1)} images/s` : ''),
  );
  if (r.noChanges) lines.push('no changes: the store already matches this catalog');
  if (r.lookup) {
    lines.push(
      r.lookup.ready
        ? `product lookup: on, ready (${r.lookup.descriptors} keypoints, vocabulary of ${r.lookup.words} words${r.lookup.calibrated > 0 ? `; edge templates of ${r.lookup.calibrated} images calibrated` : ''})`
        : `product lookup: on, not ready yet: its vocabulary needs ${r.lookup.needed} keypoints, the catalog has ${r.lookup.descriptors}`,
    );
  }
  if (r.failed.length > 0) {
    lines.push(`${r.failed.length} row(s) skipped:`);
    for (const f of r.failed) lines.push(`  row ${f.row}${f.id ? ` (id ${f.id})` : ''}: ${f.code}: ${f.reason}`);
  }
  if (r.adaptation && !('error' in r.adaptation)) {
    lines.push(`adapted the features to the catalog (${r.adaptation.images} images, no labels) in ${r.adaptation.seconds} s: extractor ${r.adaptation.extractor}, ${r.adaptation.dimensions} dimensions`);
  }
  return `${lines.join('\n')}\n`;
}
