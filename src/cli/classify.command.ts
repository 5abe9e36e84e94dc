import type { Command } from 'commander';
import { AppError } from '../domain/errors.js';
import type { ClassifierMethod, ClassifierReport } from '../insights/classification.service.js';
import { insightsFor } from '../insights/insights.js';
import { configFrom, reportError, withShoplens, type CliIO, type CommonOptions } from './context.js';

interface TrainFlags extends CommonOptions {
  method?: string;
  pca?: string;
  folds?: string;
}

function printReport(io: CliIO, r: ClassifierReport): void {
  io.out(`${r.method}${r.pcaComponents ? ` on pca-${r.pcaComponents}` : ''}: ${r.trained} labelled products, ${r.classes.length} categories, out-of-fold accuracy ${r.accuracy.toFixed(4)} (${r.folds} folds), ${r.seconds.toFixed(1)} s\n`);
  io.out(`suggested categories for ${r.suggestions.length} uncategorised products:\n`);
  for (const s of r.suggestions.slice(0, 50)) io.out(`  ${s.productId}: ${s.predicted} (${(s.confidence * 100).toFixed(0)}%)\n`);
  io.out(`possibly mis-categorised: ${r.possiblyMiscategorised.length}\n`);
  for (const s of r.possiblyMiscategorised.slice(0, 50)) io.out(`  ${s.productId}: catalog says ${s.category}, looks like ${s.predicted} (${(s.confidence * 100).toFixed(0)}%)\n`);
}

/** `shoplens classify train|report`: auto-categories from product images. */
export function registerClassify(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const classify = program.command('classify').description('auto-categories: train an image classifier on the catalog\'s categories');
  classify
    .command('train')
    .description('train (SVM or kNN on the image vectors), suggest categories for uncategorised products, flag likely mis-categorised ones')
    .option('--data <dir>', 'data directory')
    .option('--method <m>', 'svm-rbf, svm-linear or knn', 'svm-rbf')
    .option('--pca <n>', 'PCA components before the classifier (0 = none)', '64')
    .option('--folds <n>', 'folds for the out-of-fold accuracy and mis-categorised report', '5')
    .option('--json', 'print JSON')
    .action(async (flags: TrainFlags) => {
      try {
        const method = flags.method as ClassifierMethod;
        if (!['svm-rbf', 'svm-linear', 'knn'].includes(method)) throw new AppError('INVALID_PARAMETER', `--method must be svm-rbf, svm-linear or knn, got "${flags.method}"`);
        const report = await withShoplens(configFrom(flags), io, (s) =>
          insightsFor(s).classification.train({ method, pcaComponents: Number(flags.pca ?? 64), folds: Number(flags.folds ?? 5) }),
        );
        if (flags.json) io.out(`${JSON.stringify(report)}\n`);
        else printReport(io, report);
        setExit(0);
      } catch (err) {
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
  classify
    .command('report')
    .alias('predict')
    .description('show the last training\'s suggestions and mis-categorised products')
    .option('--data <dir>', 'data directory')
    .option('--json', 'print JSON')
    .action(async (flags: CommonOptions) => {
      try {
        const report = await withShoplens(configFrom(flags), io, (s) => insightsFor(s).classification.latest());
        if (!report) throw new AppError('NOT_FOUND', 'No classifier trained yet: run `shoplens classify train` first');
        if (flags.json) io.out(`${JSON.stringify(report)}\n`);
        else printReport(io, report);
        setExit(0);
      } catch (err) {
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}
