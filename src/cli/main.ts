import { Command, CommanderError } from 'commander';
import { processIO, type CliIO } from './context.js';
import { registerAdapt } from './adapt.command.js';
import { registerBench } from './bench.command.js';
import { registerClassify } from './classify.command.js';
import { registerCluster } from './cluster.command.js';
import { registerDelete } from './delete.command.js';
import { registerDuplicates } from './duplicates.command.js';
import { registerDemo } from './demo.command.js';
import { registerEval } from './eval.command.js';
import { registerIngest } from './ingest.command.js';
import { registerModels } from './models.command.js';
import { registerSearch } from './search.command.js';
import { registerServe } from './serve.command.js';
import { registerSimilar } from './similar.command.js';
import { registerStats } from './stats.command.js';
import { registerTrain } from './train.command.js';
import { registerTrends } from './trends.command.js';

/** Runs the CLI and resolves to the process exit code (the launcher in bin/ sets it). */
export async function runCli(argv: string[], io: CliIO = processIO): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const program = new Command()
    .name('shoplens')
    .description('visual product search for online shops')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerIngest(program, io, setExit);
  registerSearch(program, io, setExit);
  registerSimilar(program, io, setExit);
  registerServe(program, io, setExit);
  registerStats(program, io, setExit);
  registerDelete(program, io, setExit);
  registerEval(program, io, setExit);
  registerBench(program, io, setExit);
  registerDemo(program, io, setExit);
  registerCluster(program, io, setExit);
  registerClassify(program, io, setExit);
  registerDuplicates(program, io, setExit);
  registerTrends(program, io, setExit);
  registerModels(program, io, setExit);
  registerTrain(program, io, setExit);
  registerAdapt(program, io, setExit);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 64; // 64 = usage error (sysexits)
    throw err;
  }
  return exitCode;
}
