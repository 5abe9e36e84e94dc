import type { Command } from 'commander';
import { configFrom, parseK, parseList, reportError, withShoplens, type CliIO } from './context.js';
import { filterFromFlags, printResults, withRankOptions, type RankFlags } from './search.command.js';

export function registerSimilar(program: Command, io: CliIO, setExit: (code: number) => void): void {
  withRankOptions(
    program.command('similar').description('products that look like a catalog product').argument('<id>', 'product id'),
  ).action(async (id: string, flags: RankFlags) => {
    try {
      const result = await withShoplens(configFrom(flags), io, (s) =>
        s.search.similarTo(id, {
          k: parseK(flags.k, 10),
          filter: filterFromFlags(flags),
          excludeIds: parseList(flags.exclude) ?? [],
          notLikeIds: parseList(flags.notLike) ?? [],
        }),
      );
      printResults(result, flags, io);
      setExit(0);
    } catch (err) {
      setExit(reportError(err, io, Boolean(flags.json)));
    }
  });
}
