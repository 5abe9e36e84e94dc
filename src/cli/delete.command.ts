import type { Command } from 'commander';
import { AppError } from '../domain/errors.js';
import { configFrom, reportError, withShoplens, type CliIO, type CommonOptions } from './context.js';

export function registerDelete(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('delete')
    .description('delete products (with their images and vectors) by id')
    .argument('<ids...>', 'product ids')
    .option('--data <dir>', 'data directory')
    .option('--json', 'print JSON')
    .action(async (ids: string[], flags: CommonOptions) => {
      try {
        const deleted = await withShoplens(configFrom(flags), io, (s) => s.ingest.delete(ids));
        if (flags.json) io.out(`${JSON.stringify({ requested: ids.length, deleted })}\n`);
        else io.out(`deleted ${deleted} of ${ids.length} product(s)\n`);
        if (deleted < ids.length) {
          setExit(reportError(new AppError('PRODUCT_NOT_FOUND', `${ids.length - deleted} id(s) were not in the catalog`), io, false));
        } else setExit(0);
      } catch (err) {
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}
