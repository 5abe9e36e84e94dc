import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CliIO } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { openShoplens, type Shoplens } from '../../src/main.js';
import type { IngestReport } from '../../src/ingest/ingest.service.js';

/** A fresh data directory and an opened Shoplens on it; `cleanup` closes and deletes both. */
export async function freshShoplens(overrides: Partial<Record<keyof Config, unknown>> = {}): Promise<{
  dir: string;
  config: Config;
  shoplens: Shoplens;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-test-'));
  const config = loadConfig({ dataDir: path.join(dir, 'data'), ...overrides }, {});
  const shoplens = await openShoplens(config);
  return {
    dir,
    config,
    shoplens,
    cleanup: async () => {
      await shoplens.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function tempDir(prefix = 'shoplens-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** CliIO that collects what a command prints. */
export function captureIO(): CliIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, stdout: () => out, stderr: () => err };
}

/** Runs `shoplens <args>` in-process; resolves to its exit code and output. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await runCli(['node', 'shoplens', ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

/** Writes each product's picture as <dir>/<id>.png, lists them in a catalog CSV and ingests it. */
export async function ingestPictures(
  fresh: { dir: string; shoplens: Shoplens },
  products: ReadonlyArray<{ id: string; title?: string; category?: string; png: Buffer }>,
): Promise<IngestReport> {
  const rows = ['id,title,category,image'];
  for (const p of products) {
    const file = path.join(fresh.dir, `${p.id}.png`);
    await writeFile(file, p.png);
    rows.push(`${p.id},${p.title ?? p.id},${p.category ?? 'shoes'},${file}`);
  }
  const catalog = path.join(fresh.dir, 'catalog.csv');
  await writeFile(catalog, `${rows.join('\n')}\n`);
  return fresh.shoplens.ingest.ingest(catalog);
}
