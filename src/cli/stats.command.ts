import type { Command } from 'commander';
import { configFrom, reportError, withShoplens, type CliIO, type CommonOptions } from './context.js';

export function registerStats(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('stats')
    .description('catalog size, categories, brands, index and product lookup state')
    .option('--data <dir>', 'data directory')
    .option('--json', 'print JSON')
    .action(async (flags: CommonOptions) => {
      try {
        const config = configFrom(flags);
        const out = await withShoplens(config, io, async (s) => ({
          dataDir: config.dataDir,
          ...(await s.store.stats()),
          index: { kind: s.indexSync.index.kind, vectors: s.indexSync.index.size() },
          extractor: s.extractor.identity,
          // Product lookup: null when off (see `ingest --lookup`); ready once its vocabulary is trained.
          lookup: s.lookup ? { ready: s.lookup.ready } : null,
        }));
        if (flags.json) io.out(`${JSON.stringify(out)}\n`);
        else {
          io.out(
            [
              `data: ${out.dataDir}`,
              `products: ${out.products}   images: ${out.images}   index: ${out.index.kind} (${out.index.vectors} vectors)`,
              `extractor: ${out.extractor.name}@${out.extractor.version} (${out.extractor.dimensions}-d, ${out.extractor.metric})`,
              `product lookup: ${out.lookup ? (out.lookup.ready ? 'on' : 'on, not ready (its vocabulary is trained by the next ingest once the catalog has enough keypoints)') : 'off (shoplens ingest --lookup turns it on)'}`,
              `price range: ${out.priceMin ?? '-'} – ${out.priceMax ?? '-'}`,
              `categories: ${out.categories.map((c) => `${c.name} (${c.count})`).join(', ') || '-'}`,
              `brands: ${out.brands.map((b) => `${b.name} (${b.count})`).join(', ') || '-'}`,
            ].join('\n') + '\n',
          );
        }
        setExit(0);
      } catch (err) {
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}
