import type { Command } from 'commander';
import type { Config } from '../config/config.js';
import { buildServer } from '../http/server.js';
import { openShoplens } from '../main.js';
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
  // Product lookup's index is built in the background, so the first shopper does not wait for it.
  shoplens.lookup?.warmUp().then(
    (ms) => ms !== null && io.err(`product lookup ready in ${ms.toFixed(0)} ms\n`),
    (err: unknown) => io.err(`product lookup warm-up failed (searches will build it): ${err instanceof Error ? err.message : String(err)}\n`),
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
