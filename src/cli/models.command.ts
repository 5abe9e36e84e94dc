import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { pullModel } from '../features/onnx/hub-download.js';
import { ModelStore } from '../features/onnx/model-store.js';
import { reportError, type CliIO } from './context.js';

interface ModelsFlags {
  data?: string;
  models?: string;
  json?: boolean;
  force?: boolean;
  progress?: boolean;
}

function storeFrom(flags: ModelsFlags): { store: ModelStore; endpoint: string; timeoutMs: number } {
  const config = loadConfig({ dataDir: flags.data, modelsDir: flags.models });
  return { store: new ModelStore(config.modelsDir), endpoint: config.hubEndpoint, timeoutMs: config.fetchTimeoutMs };
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** `shoplens models list|pull`: the local ONNX models folder. Only `pull` uses the network. */
export function registerModels(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const models = program.command('models').description('ONNX image/text encoders: list them, pull one from the Hugging Face hub');
  const common = (cmd: Command) =>
    cmd
      .option('--data <dir>', 'data directory (models live in <data>/models unless --models or $SHOPLENS_MODELS)')
      .option('--models <dir>', 'models folder (default <data>/models or $SHOPLENS_MODELS)')
      .option('--json', 'print JSON');

  common(models.command('list').description('available model manifests, installed or not, with sizes')).action(async (flags: ModelsFlags) => {
    try {
      const { store } = storeFrom(flags);
      const entries = await store.list();
      const rows = entries.map((e) =>
        'manifest' in e
          ? {
              name: e.manifest.name,
              installed: e.installed,
              text: Boolean(e.manifest.text),
              dimensions: e.manifest.dimensions,
              bytesOnDisk: e.files.reduce((s, f) => s + (f.bytes ?? 0), 0),
              downloadSize: e.manifest.downloadSize ?? null,
              source: e.manifest.source ? `${e.manifest.source.repo}@${e.manifest.source.revision}` : null,
              builtin: e.builtin,
              description: e.manifest.description,
            }
          : { name: e.name, problem: e.problem },
      );
      if (flags.json) {
        io.out(`${JSON.stringify({ modelsDir: store.dir, models: rows })}\n`);
      } else {
        io.out(`models folder: ${store.dir}\n`);
        for (const r of rows) {
          if ('problem' in r) {
            io.out(`  ${r.name}  BROKEN: ${r.problem}\n`);
            continue;
          }
          const state = r.installed ? `installed (${mb(r.bytesOnDisk)})` : `not installed${r.downloadSize ? ` (download ${r.downloadSize})` : ''}`;
          io.out(`  ${r.name.padEnd(20)} ${String(r.dimensions).padStart(5)}-d  ${r.text ? 'image+text' : 'image     '}  ${state}\n      ${r.description}\n`);
        }
        io.out('use one with SHOPLENS_EXTRACTOR=onnx:<name> after `shoplens models pull <name>`\n');
      }
      setExit(0);
    } catch (err) {
      setExit(reportError(err, io, Boolean(flags.json)));
    }
  });

  common(models.command('pull').description('download a model from the Hugging Face hub (needs internet access)').argument('<name>', 'model name (see `models list`)'))
    .option('--force', 'download again even when the files are present')
    .option('--no-progress', 'no progress bar')
    .action(async (name: string, flags: ModelsFlags) => {
      let bar: cliProgress.SingleBar | undefined;
      try {
        const { store, endpoint, timeoutMs } = storeFrom(flags);
        const entry = await store.get(name);
        const showBar = io.isTTY && flags.progress !== false && !flags.json;
        const files = await pullModel(entry, {
          endpoint,
          timeoutMs,
          force: Boolean(flags.force),
          onFile: (file, total) => {
            bar?.stop();
            if (!showBar) {
              if (!flags.json) io.err(`downloading ${file}${total ? ` (${mb(total)})` : ''}\n`);
              return;
            }
            bar = new cliProgress.SingleBar(
              { format: `${file} [{bar}] {percentage}% | {got}/{size} | {eta_formatted} left`, stream: process.stderr, hideCursor: true },
              cliProgress.Presets.shades_classic,
            );
            bar.start(total ?? 0, 0, { got: mb(0), size: total ? mb(total) : '?' });
          },
          onProgress: (_file, received) => bar?.update(received, { got: mb(received) }),
        });
        bar?.stop();
        const after = await store.get(name);
        if (flags.json) io.out(`${JSON.stringify({ name, dir: after.dir, installed: after.installed, files })}\n`);
        else {
          for (const f of files) io.out(`${f.downloaded ? 'downloaded' : 'present   '} ${f.path} (${mb(f.bytes)})${f.sha256 ? ` sha256 ${f.sha256}` : ''}\n`);
          io.out(`model "${name}" installed in ${after.dir}: use it with SHOPLENS_EXTRACTOR=onnx:${name}\n`);
        }
        setExit(0);
      } catch (err) {
        bar?.stop();
        setExit(reportError(err, io, Boolean(flags.json)));
      }
    });
}
