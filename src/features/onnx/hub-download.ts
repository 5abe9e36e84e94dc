import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, isAppError } from '../../domain/errors.js';
import { manifestFiles } from './manifest.js';
import { MANIFEST_FILE, type ModelEntry } from './model-store.js';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface PullOptions {
  /** Hub base URL (mirrors and tests use their own). */
  endpoint: string;
  /** Give up on a connection that sends nothing for this long. */
  timeoutMs: number;
  /** Download again even when a file is already present. */
  force?: boolean;
  onFile?: (file: string, totalBytes: number | null) => void;
  onProgress?: (file: string, receivedBytes: number, totalBytes: number | null) => void;
}

export interface PulledFile {
  path: string;
  bytes: number;
  sha256: string | null;
  /** false when the file was already present and not downloaded again. */
  downloaded: boolean;
}

/** Connection-level failures that mean "no route to the hub" rather than "the hub said no". */
const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Downloads a model's files from a Hugging Face model repository into its folder
 * (`<endpoint>/<repo>/resolve/<revision>/<file>`). Each file streams to a temporary name, its size
 * (Content-Length, manifest) and sha256 (manifest, or the hub's X-Linked-ETag for LFS files) are
 * checked, and only then is it renamed into place: an interrupted pull never leaves a half file
 * that looks installed. The manifest is written last, pinning what was pulled.
 */
export async function pullModel(entry: ModelEntry, options: PullOptions): Promise<PulledFile[]> {
  const { manifest } = entry;
  if (!manifest.source) {
    throw new AppError('MODEL_DOWNLOAD_FAILED', `Model "${manifest.name}" has no "source" repository to pull from: put its files in ${entry.dir} by hand`, {
      details: { name: manifest.name },
    });
  }
  const existed = existsSync(entry.dir);
  await mkdir(entry.dir, { recursive: true });
  try {
    return await pullFiles(entry, options);
  } catch (err) {
    // A failed first pull leaves no empty model folder behind (a later `models list` would show it).
    if (!existed) await removeIfEmpty(entry.dir);
    throw err;
  }
}

async function pullFiles(entry: ModelEntry, options: PullOptions): Promise<PulledFile[]> {
  const { manifest } = entry;
  const source = manifest.source!;
  const out: PulledFile[] = [];
  for (const file of manifestFiles(manifest)) {
    const dest = path.join(entry.dir, file);
    const state = entry.files.find((f) => f.path === file);
    const complete = state?.bytes != null && (state.expectedBytes === undefined || state.bytes === state.expectedBytes);
    if (complete && !options.force && existsSync(dest)) {
      out.push({ path: file, bytes: state.bytes!, sha256: null, downloaded: false });
      continue;
    }
    const url = `${options.endpoint.replace(/\/+$/, '')}/${source.repo}/resolve/${encodeURIComponent(source.revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
    out.push(await downloadFile(url, dest, file, manifest.files[file] ?? {}, options));
  }
  await writeFile(path.join(entry.dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return out;
}

async function downloadFile(
  url: string,
  dest: string,
  file: string,
  expected: { sizeBytes?: number; sha256?: string },
  options: PullOptions,
): Promise<PulledFile> {
  const tmp = `${dest}.part-${process.pid}`;
  await mkdir(path.dirname(dest), { recursive: true });
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), options.timeoutMs);
  };
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (err) {
      throw networkError(url, err);
    }
    if (!res.ok || !res.body) {
      throw new AppError('MODEL_DOWNLOAD_FAILED', `Downloading ${url} failed: HTTP ${res.status} ${res.statusText}`.trim(), {
        details: { url, status: res.status },
      });
    }
    const lengthHeader = res.headers.get('content-length');
    const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    // The hub answers LFS files with their sha256 as X-Linked-ETag (or ETag on the final CDN response).
    const etag = (res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, '');
    const wantSha = expected.sha256 ?? (/^[0-9a-f]{64}$/.test(etag) ? etag : undefined);
    options.onFile?.(file, total ?? expected.sizeBytes ?? null);
    const hash = createHash('sha256');
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        touch();
        received += chunk.length;
        hash.update(chunk);
        options.onProgress?.(file, received, total);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), meter, createWriteStream(tmp));
    } catch (err) {
      throw isAppError(err) ? err : networkError(url, err, true);
    }
    const sha = hash.digest('hex');
    const mismatch =
      total !== null && received !== total ? `got ${received} bytes, the server announced ${total}` :
      expected.sizeBytes !== undefined && received !== expected.sizeBytes ? `got ${received} bytes, the manifest expects ${expected.sizeBytes}` :
      wantSha !== undefined && sha !== wantSha ? `sha256 ${sha} does not match the expected ${wantSha}` : null;
    if (mismatch) {
      throw new AppError('MODEL_DOWNLOAD_FAILED', `Download of ${file} is corrupt: ${mismatch}`, { details: { url, file, received, sha256: sha } });
    }
    await rename(tmp, dest);
    return { path: file, bytes: received, sha256: sha, downloaded: true };
  } finally {
    clearTimeout(timer);
    await rm(tmp, { force: true });
  }
}

/** Removes `dir` and its sub-folders when they hold no file at all. */
async function removeIfEmpty(dir: string): Promise<void> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  if (entries.every((e) => e.isDirectory())) await rm(dir, { recursive: true, force: true });
}

function networkError(url: string, err: unknown, midStream = false): AppError {
  const codes: string[] = [];
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    if (codes.length > 5) break;
  }
  const aborted = err instanceof Error && err.name === 'AbortError';
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();
  if (!midStream && (aborted || codes.some((c) => OFFLINE_CODES.has(c)))) {
    return new AppError(
      'NETWORK_UNAVAILABLE',
      `Cannot reach ${host}${codes[0] ? ` (${codes[0]})` : aborted ? ' (timed out)' : ''}: this machine looks offline. ` +
        'Pull the model on a machine with internet access and copy its folder into the models directory.',
      { details: { url, codes }, cause: err },
    );
  }
  return new AppError('MODEL_DOWNLOAD_FAILED', `Downloading ${url} failed: ${err instanceof Error ? err.message : String(err)}`, {
    details: { url, codes },
    cause: err,
  });
}
