import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { IngestReport } from '../ingest/ingest.service.js';
import { readCatalog } from '../ingest/readers/catalog-reader.js';
import { ProjectedExtractor } from '../features/projected.extractor.js';
import { configFrom, reportError, withShoplens, type CliIO, type CommonOptions } from './context.js';

interface IngestFlags extends CommonOptions {
  deleteMissing?: boolean;
  progress?: boolean;
  concurrency?: string;
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
    .option('--json', 'print the report as JSON')
    .action(async (catalog: string, flags: IngestFlags) => {
      setExit(await runIngest(catalog, flags, io));
    });
}

/** Catalog size from which `shoplens ingest` suggests `shoplens adapt`. */
const ADAPT_HINT_IMAGES = 2000;

export async function runIngest(catalog: string, flags: IngestFlags, io: CliIO): Promise<number> {
  try {
    const config = configFrom(flags, { ingestConcurrency: flags.concurrency });
    const location = path.resolve(catalog);
    const showBar = io.isTTY && flags.progress !== false;
    const report = await withShoplens(config, io, async (s) => {
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
      let done: IngestReport;
      try {
        done = await s.ingest.ingest(location, {
          deleteMissing: Boolean(flags.deleteMissing),
          onProgress: (p) => bar?.update(p.processed, { failed: p.failed }),
        });
      } finally {
        bar?.stop();
      }
      // A catalog this size has structure the label-free adaptation can use; it is a separate, explicit step (minutes of CPU, index rebuilt).
      if (!(s.extractor instanceof ProjectedExtractor) && (await s.store.stats()).images >= ADAPT_HINT_IMAGES) {
        io.err(`hint: ${ADAPT_HINT_IMAGES}+ catalog images — \`shoplens adapt\` fits the features to this catalog without labels (Fashion-MNIST: mAP 0.512 → 0.605; see BENCHMARKS.md)\n`);
      }
      return done;
    });
    io.out(flags.json ? `${JSON.stringify(report)}\n` : formatReport(report));
    return report.failed.length > 0 ? 2 : 0;
  } catch (err) {
    return reportError(err, io, Boolean(flags.json));
  }
}

function formatReport(r: IngestReport): string {
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
  if (r.failed.length > 0) {
    lines.push(`${r.failed.length} row(s) skipped:`);
    for (const f of r.failed) lines.push(`  row ${f.row}${f.id ? ` (id ${f.id})` : ''}: ${f.code}: ${f.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
