// The real `shoplens serve` command (src/cli, same code as bin/shoplens.js after a build), run
// through tsx so the benchmark never measures a stale dist/. Args: --data <dir>.
import { runCli } from '../../src/cli/main.js';

process.exitCode = await runCli([process.argv[0]!, 'shoplens', 'serve', ...process.argv.slice(2)]);
