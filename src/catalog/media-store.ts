import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Display copies of product images (metadata-free JPEGs), content-addressed by the
 * sha256 of the original bytes. They let the UI show images whatever happens to the sources.
 */
export class MediaStore {
  constructor(readonly dir: string) {}

  static isValidName(sha256: string): boolean {
    return /^[0-9a-f]{64}$/.test(sha256);
  }

  pathFor(sha256: string): string {
    if (!MediaStore.isValidName(sha256)) throw new Error(`invalid media name ${sha256}`);
    return path.join(this.dir, sha256.slice(0, 2), `${sha256}.jpg`);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathFor(sha256))).isFile();
    } catch {
      return false;
    }
  }

  /** Writes atomically so a reader never sees half a file. */
  async put(sha256: string, jpeg: Buffer): Promise<void> {
    const target = this.pathFor(sha256);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, jpeg);
    await rename(tmp, target);
  }
}
