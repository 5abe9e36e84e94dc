import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes `path` so that readers see either the old file or the complete new one, never a torn
 * file: `fill` writes a temp file in the same directory (rename is only atomic within one
 * filesystem), which is fsynced and then renamed over `path`.
 */
export async function writeAtomically(path: string, fill: (tmpPath: string) => Promise<void>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fill(tmp);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDirectory(dirname(path));
}

/** Persists the rename itself; best effort, as some platforms cannot open a directory. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Not fatal: the data file is already synced; only durability across power loss is weaker.
  }
}
