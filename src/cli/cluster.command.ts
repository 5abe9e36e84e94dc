import type { Command } from 'commander';
import { AppError } from '../domain/errors.js';
import { insightsFor } from '../insights/insights.js';
import { configFrom, reportError, withShoplens, type CliIO, type CommonOptions } from './context.js';

interface ClusterFlags extends CommonOptions {
  k?: string;
  seed?: string;
}

/** `shoplens cluster`: group the catalog into visual styles (k-means) and store the result. */
export function registerCluster(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('cluster')
    .description('group the catalog into visual styles (k-means; k by silhouette unless --k) with a 2-D map')
    .option('--data <dir>', 'data directory')
    .option('--k <n>', 'number of clusters (default: best silhouette among 2…20)')
    .option('--seed <n>', 'random seed', '1')
    .option('--json', 'print JSON')
    .action(async (flags: ClusterFlags) => {
      try {
        const k = flags.k === undefined ? undefined : Number(flags.k);
        if (k !== undefined && (!Number.isInteger(k) || k < 1)) throw new AppError('INVALID_PARAMETER', `--k must be a positive integer, got "${flags.k}"`);
        const report = await withShoplens(configFrom(flags), io, (s) =>
          insightsFor(s).clustering.run({ ...(k !== undefined ? { k } : {}), seed: Number(flags.seed ?? 1) }),
        );
        if (flags.json) io.out(`${JSON.stringify(report)}\n`);
        else {
          io.out(`${report.k} clusters (${report.chosenBy}, ${report.method}) over ${report.images} images of ${report.products} products in ${report.seconds.toFixed(1)} s\n`);
          for (const c of report.clusters) {
            const cats = c.categories.slice(0, 3).map((x) => `${x.name ?? '(none)'} ${x.count}`).join(', ');
            io.out(`  #${c.id}: ${c.images} images (${(c.share * 100).toFixed(1)}%), colours ${c.dominantColors.map((d) => d.hex).join(' ') || '-'}, categories ${cats || '-'}, e.g. ${c.representatives.slice(0, 3).map((r) => r.productId).join(', ')}\n`);
          }
        }
        setExit(0);
      } catch (err) {
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}
