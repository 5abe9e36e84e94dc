import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError, isAppError } from '../../domain/errors.js';
import { BUILTIN_MANIFESTS } from './builtin-manifests.js';
import { manifestFiles, parseManifest, parseManifestJson, type ModelManifest } from './manifest.js';

export const MANIFEST_FILE = 'manifest.json';

export interface ModelFileState {
  path: string;
  /** Size on disk, or null when the file is missing. */
  bytes: number | null;
  expectedBytes?: number;
}

export interface ModelEntry {
  manifest: ModelManifest;
  /** Folder holding the model's files: `<models>/<name>/`. */
  dir: string;
  /** Shipped with shoplens (builtin-manifests.ts) rather than found as `<dir>/manifest.json`. */
  builtin: boolean;
  files: ModelFileState[];
  /** Every file present (and of the expected size, when the manifest gives one). */
  installed: boolean;
}

/**
 * The local models folder: one sub-folder per model holding its files and, once pulled or when a
 * shop adds its own model, its manifest.json (which then takes precedence over a built-in one).
 * Nothing here touches the network.
 */
export class ModelStore {
  constructor(readonly dir: string) {}

  /** Built-in and local manifests, installed or not. A broken local manifest is listed with its problem. */
  async list(): Promise<Array<ModelEntry | { name: string; problem: string }>> {
    const names = new Set<string>(builtins().map((m) => m.name));
    if (existsSync(this.dir)) {
      for (const d of await readdir(this.dir, { withFileTypes: true })) {
        if (d.isDirectory() && existsSync(path.join(this.dir, d.name, MANIFEST_FILE))) names.add(d.name);
      }
    }
    const out: Array<ModelEntry | { name: string; problem: string }> = [];
    for (const name of [...names].sort()) {
      try {
        out.push(await this.get(name));
      } catch (err) {
        if (!isAppError(err)) throw err;
        out.push({ name, problem: err.message });
      }
    }
    return out;
  }

  /** The model's manifest and file states; MODEL_NOT_FOUND when no manifest of that name exists. */
  async get(name: string): Promise<ModelEntry> {
    const dir = path.join(this.dir, name);
    const local = path.join(dir, MANIFEST_FILE);
    let manifest: ModelManifest;
    let builtin = false;
    if (/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name) && existsSync(local)) {
      manifest = parseManifestJson(await readFile(local, 'utf8'), local);
      if (manifest.name !== name) {
        throw new AppError('INVALID_MODEL_MANIFEST', `${local} names the model "${manifest.name}", but its folder is "${name}"`, { details: { where: local } });
      }
    } else {
      const found = builtins().find((m) => m.name === name);
      if (!found) {
        const available = (await this.list()).map((e) => ('manifest' in e ? e.manifest.name : e.name));
        throw new AppError('MODEL_NOT_FOUND', `No model manifest named "${name}" (available: ${available.join(', ')}). See \`shoplens models list\`.`, {
          details: { name, available },
        });
      }
      manifest = found;
      builtin = true;
    }
    const files: ModelFileState[] = [];
    for (const f of manifestFiles(manifest)) {
      const full = path.join(dir, f);
      const bytes = existsSync(full) ? (await stat(full)).size : null;
      const expected = manifest.files[f]?.sizeBytes;
      files.push({ path: f, bytes, ...(expected !== undefined ? { expectedBytes: expected } : {}) });
    }
    const installed = files.every((f) => f.bytes !== null && (f.expectedBytes === undefined || f.bytes === f.expectedBytes));
    return { manifest, dir, builtin, files, installed };
  }

  /** Like get, but fails with MODEL_NOT_INSTALLED (naming `shoplens models pull`) when a file is missing. */
  async requireInstalled(name: string): Promise<ModelEntry> {
    const entry = await this.get(name);
    if (!entry.installed) {
      const missing = entry.files.filter((f) => f.bytes === null || (f.expectedBytes !== undefined && f.bytes !== f.expectedBytes)).map((f) => f.path);
      throw new AppError(
        'MODEL_NOT_INSTALLED',
        `Model "${name}" is not installed in ${entry.dir} (missing or incomplete: ${missing.join(', ')}). ` +
          `Run \`shoplens models pull ${name}\` on a machine with internet access (then copy the folder here if this one is offline).`,
        { details: { name, dir: entry.dir, missing } },
      );
    }
    return entry;
  }
}

function builtins(): ModelManifest[] {
  return BUILTIN_MANIFESTS.map((raw, i) => parseManifest(raw, `built-in #${i}`));
}
