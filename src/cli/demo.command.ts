import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { AppError } from '../domain/errors.js';
import { configFrom, reportError, type CliIO } from './context.js';
import { runIngest } from './ingest.command.js';
import { serve } from './serve.command.js';

export const DEMO_CATALOG = fileURLToPath(new URL('../../examples/demo/catalog.csv', import.meta.url));

interface DemoFlags {
  data?: string;
  port?: string;
  host?: string;
}

/** `npm start`: index the bundled demo catalog with product lookup (a no-op after the first run) and serve the UI. */
export function registerDemo(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description('index the bundled demo catalog (first run only) and serve it')
    .option('--data <dir>', 'data directory', './shoplens-data/demo')
    .option('--port <n>', 'port', undefined)
    .option('--host <addr>', 'address to bind')
    .action(async (flags: DemoFlags) => {
      try {
        if (!existsSync(DEMO_CATALOG)) throw new AppError('CATALOG_NOT_FOUND', `Demo catalog missing at ${DEMO_CATALOG}`);
        const dataDir = path.resolve(flags.data ?? './shoplens-data/demo');
        io.err(`indexing the demo catalog into ${dataDir} …\n`);
        // The demo shows product lookup (exact product, where it is in the photo) unless
        // SHOPLENS_LOCAL_FEATURES says otherwise; the data directory records it, so serve follows.
        const lookup = configFrom({ data: dataDir }).localFeatures === 'auto' ? true : undefined;
        const code = await runIngest(DEMO_CATALOG, { data: dataDir, ...(lookup ? { lookup } : {}) }, io);
        if (code === 1) {
          setExit(1);
          return;
        }
        await serve(configFrom({ data: dataDir }, { port: flags.port, host: flags.host }), io);
      } catch (err) {
        setExit(reportError(err, io, false));
      }
    });
}
