import type { Command } from 'commander';
import type { Config } from '../config/config.js';
import { orbEngine } from '../features/local/opencv.js';
import { lineEngine } from '../search/lookup/lines.js';
import { buildServer } from '../http/server.js';
import { noiseImage } from '../imaging/noise.js';
import { openShoplens, type Shoplens } from '../main.js';
import { configFrom, reportError, type CliIO, type CommonOptions } from './context.js';

interface ServeFlags extends CommonOptions {
  port?: string;
  host?: string;
}

export function registerServe(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('serve the web UI and the REST API')
    .option('--data <dir>', 'data directory')
    .option('--port <n>', 'port (0 picks a free one; default 8080 or $SHOPLENS_PORT)')
    .option('--host <addr>', 'address to bind (default 127.0.0.1 or $SHOPLENS_HOST)')
    .action(async (flags: ServeFlags) => {
      try {
        await serve(configFrom(flags, { port: flags.port, host: flags.host }), io);
      } catch (err) {
        setExit(reportError(err, io, false));
      }
    });
}

/**
 * Runs the global feature extractor once (starting its worker threads) and builds product lookup's
 * index (LookupService.warmUp). At 10,000 catalog images with lookup on, the first search took
 * 8.3 s without it.
 */
async function warmUp(shoplens: Shoplens): Promise<number> {
  const started = performance.now();
  await shoplens.extractor.extract(noiseImage(128, 128));
  await shoplens.lookup?.warmUp();
  return performance.now() - started;
}

/** Opens shoplens, listens, and shuts down cleanly (index saved) on SIGINT/SIGTERM. Resolves when stopped. */
export async function serve(config: Config, io: CliIO): Promise<void> {
  const shoplens = await openShoplens(config, {
    events: { onRebuild: ({ vectors, ms }) => vectors > 0 && io.err(`index rebuilt: ${vectors} vectors in ${ms.toFixed(0)} ms\n`) },
  });
  const app = await buildServer(shoplens, { logger: config.logLevel !== 'silent' && config.logLevel !== 'warn' });
  let address: string;
  try {
    address = await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await shoplens.close();
    throw err;
  }
  const shown = address.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
  io.out(`shoplens listening on ${shown}\n`);
  // Feature workers and product lookup's index start in the background, so the first shopper does not wait for them.
  warmUp(shoplens).then(
    (ms) => io.err(`search warmed up in ${ms.toFixed(0)} ms${shoplens.lookup ? ` (product lookup keypoints: ${orbEngine()}; edges: ${lineEngine()})` : ' (product lookup off: shoplens ingest --lookup turns it on)'}\n`),
    (err: unknown) => io.err(`warm-up failed (the first search will do it): ${err instanceof Error ? err.message : String(err)}\n`),
  );
  await new Promise<void>((resolve) => {
    const stop = async () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await app.close();
      await shoplens.close();
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
