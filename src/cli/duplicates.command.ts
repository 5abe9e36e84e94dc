import type { Command } from 'commander';
import { insightsFor } from '../insights/insights.js';
import { configFrom, reportError, withShoplens, type CliIO, type CommonOptions } from './context.js';

/** `shoplens duplicates`: exact and near-duplicate products, grouped, with a suggested keeper. */
export function registerDuplicates(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('duplicates')
    .description('find exact (same file or pixels) and near duplicate products (embedding neighbours verified by aligning the pictures and comparing colours)')
    .option('--data <dir>', 'data directory')
    .option('--json', 'print JSON')
    .action(async (flags: CommonOptions) => {
      try {
        const report = await withShoplens(configFrom(flags), io, (s) => insightsFor(s).duplicates.run());
        if (flags.json) io.out(`${JSON.stringify(report)}\n`);
        else {
          io.out(`${report.groups.length} duplicate groups among ${report.products} products (${report.images} images) in ${report.seconds.toFixed(1)} s\n`);
          for (const g of report.groups) {
            io.out(`  group ${g.id} (${g.kind}): keep ${g.keep}; ${g.products.map((p) => p.id).filter((id) => id !== g.keep).join(', ')}\n`);
          }
        }
        setExit(0);
      } catch (err) {
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}
