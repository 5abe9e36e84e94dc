import type { Command } from 'commander';
import { removeProjection } from '../features/trained/projection-file.js';
import { trainCatalogProjection, type CatalogTrainingReport } from '../features/trained/train.service.js';
import { baseIdentity, catalogFitSetup, formatEval, PhaseBars, positiveInt, resetCatalogFit, type CatalogFitFlags } from './catalog-fit.js';
import { reportError, withShoplens, type CliIO } from './context.js';

interface TrainFlags extends CatalogFitFlags {
  epochs?: string;
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
      const bars = new PhaseBars(io);
      try {
        const { config, seed, measure } = await catalogFitSetup(flags, io);
        const epochs = positiveInt('epochs', flags.epochs);
        if (flags.reset) {
          await resetCatalogFit(flags, io, 'trained projection', () => removeProjection(config.dataDir), measure);
          setExit(0);
          return;
        }

        const before = await measure();
        let report: CatalogTrainingReport | undefined;
        await withShoplens(config, io, async (s) => {
          report = await trainCatalogProjection(config.dataDir, s.store, baseIdentity(s), {
            ...(epochs !== undefined ? { epochs } : {}), ...(seed !== undefined ? { seed } : {}),
          }, (p) => bars.update(p.phase, p.phase === 'pca' ? 'PCA  ' : 'train', p.done, p.total, p.loss !== undefined ? `loss ${p.loss.toFixed(3)}` : ''));
          bars.stop();
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
        bars.stop();
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}
