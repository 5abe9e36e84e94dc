/** Runs the shoplens CLI from source (no build needed), for the lookup benchmark: `npx tsx bench/lookup/run-cli.ts eval …`. */
import { runCli } from '../../src/cli/main.js';

process.exitCode = await runCli(process.argv);
