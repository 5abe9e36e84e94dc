import type { Command } from 'commander';
import { AppError } from '../domain/errors.js';
import { insightsFor } from '../insights/insights.js';
import { trendsToCsv, type Period } from '../insights/trends.service.js';
import { configFrom, reportError, withShoplens, type CliIO, type CommonOptions } from './context.js';

interface TrendsFlags extends CommonOptions {
  from?: string;
  to?: string;
  period?: string;
  csv?: boolean;
}

/** `shoplens trends`: what shoppers search for, per period and style, from the anonymous search log. */
export function registerTrends(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('trends')
    .description('demand report from the anonymous search log: searches per style vs catalog share, top products')
    .option('--data <dir>', 'data directory')
    .option('--from <time>', 'start (ISO date/time; default 30 days before --to)')
    .option('--to <time>', 'end, exclusive (default now)')
    .option('--period <p>', 'day, week or month', 'day')
    .option('--csv', 'print CSV')
    .option('--json', 'print JSON')
    .action(async (flags: TrendsFlags) => {
      try {
        if (!['day', 'week', 'month'].includes(flags.period ?? 'day')) throw new AppError('INVALID_PARAMETER', `--period must be day, week or month, got "${flags.period}"`);
        const report = await withShoplens(configFrom(flags), io, (s) =>
          insightsFor(s).trends.report({ ...(flags.from ? { from: flags.from } : {}), ...(flags.to ? { to: flags.to } : {}), period: (flags.period ?? 'day') as Period }),
        );
        if (flags.csv) io.out(trendsToCsv(report));
        else if (flags.json) io.out(`${JSON.stringify(report)}\n`);
        else {
          io.out(`${report.searches} searches from ${report.from} to ${report.to}\n`);
          for (const c of report.clusters) io.out(`  style #${c.cluster}: ${c.searches} searches, ${(c.searchShare * 100).toFixed(1)}% of searches vs ${(c.catalogShare * 100).toFixed(1)}% of catalog${c.ratio !== null ? ` (×${c.ratio.toFixed(2)})` : ''}\n`);
          io.out(`under-supplied styles: ${report.underSupplied.map((c) => `#${c}`).join(', ') || '-'}\n`);
          io.out(`top products: ${report.topProducts.slice(0, 10).map((t) => `${t.productId} (${t.top1})`).join(', ') || '-'}\n`);
        }
        setExit(0);
      } catch (err) {
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}
