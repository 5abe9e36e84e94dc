import type { Command } from 'commander';
import { removeAdaptation } from '../features/adapted/adaptation-file.js';
import { adaptedDimensions, type AdaptationProgress } from '../features/adapted/adaptation.js';
import { adaptToCatalog, type CatalogAdaptationReport } from '../features/adapted/adapt.service.js';
import { loadProjection } from '../features/trained/projection-file.js';
import { baseIdentity, catalogFitSetup, formatEval, PhaseBars, resetCatalogFit, type CatalogFitFlags } from './catalog-fit.js';
import { reportError, withShoplens, type CliIO } from './context.js';

const PHASE_LABEL: Record<AdaptationProgress['phase'], string> = { pca: 'PCA      ', graph: 'graph    ', diffusion: 'diffusion', anchors: 'anchors  ' };

/** `shoplens adapt`: fit the image features to the catalog without labels (or go back with --reset). */
export function registerAdapt(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('adapt')
    .description('adapt the image features to the catalog without labels (whitening + diffusion over the catalog\'s neighbour graph); the index is rebuilt with it')
    .option('--data <dir>', 'data directory')
    .option('--queries <file>', 'eval CSV (as for `shoplens eval`): print search quality before and after')
    .option('--k <n>', 'eval retrieval depth', '100')
    .option('--seed <n>', 'random seed (same catalog and seed give the same adaptation)')
    .option('--reset', 'remove the adaptation and go back to the base extractor')
    .option('--json', 'print JSON')
    .action(async (flags: CatalogFitFlags) => {
      const bars = new PhaseBars(io);
      try {
        const { config, seed, measure } = await catalogFitSetup(flags, io);
        if (flags.reset) {
          await resetCatalogFit(flags, io, 'catalog adaptation', () => removeAdaptation(config.dataDir), measure);
          setExit(0);
          return;
        }

        const before = await measure();
        let report: CatalogAdaptationReport | undefined;
        await withShoplens(config, io, async (s) => {
          report = await adaptToCatalog(config.dataDir, s.store, baseIdentity(s), seed !== undefined ? { seed } : {},
            (p) => bars.update(p.phase, PHASE_LABEL[p.phase], p.done, p.total));
          bars.stop();
        });
        const r = report!;
        // Opening again picks the adaptation up: new identity, so the index is rebuilt from the store.
        const after = await measure();
        // A trained projection (shoplens train) takes precedence; the adaptation waits until that is reset.
        const shadowed = (await loadProjection(config.dataDir)) !== null;
        const out = {
          before: before.extractor,
          after: after.extractor,
          examples: r.result.examples,
          dimensions: adaptedDimensions(r.manifest),
          anchors: r.manifest.anchorCount,
          edges: r.result.edges,
          seconds: Math.round(r.result.seconds * 10) / 10,
          peakMemoryMb: r.peakMemoryMb,
          shadowedByTrainedProjection: shadowed,
          eval: before.eval && after.eval ? { before: before.eval, after: after.eval } : undefined,
        };
        if (flags.json) io.out(`${JSON.stringify(out)}\n`);
        else {
          io.out(
            [
              `adapted to ${out.examples} catalog images (no labels): ${out.dimensions} dimensions, ${out.anchors} anchors, ${out.edges} graph edges; ${out.seconds} s, peak memory ${out.peakMemoryMb} MB`,
              `extractor ${out.before} → ${out.after}`,
              ...(shadowed ? ['note: a trained projection (shoplens train) is in use and takes precedence; `shoplens train --reset` to use the adaptation'] : []),
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
