import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../domain/errors.js';
import type { RgbImage } from '../imaging/types.js';
import { createDefaultExtractor } from './classic/default.extractor.js';
import { identityKey, type ExtractorIdentity, type FeatureExtractor } from './feature-extractor.js';

/** Where a worker finds the extractor: a module exporting a zero-argument factory. */
export interface ExtractorFactoryRef {
  /** URL (file:) of the module; a `.js` specifier also resolves to its `.ts` source under tsx. */
  module: URL;
  exportName: string;
}

export interface ExtractPoolOptions {
  /** Worker threads (default: the number of cores). */
  threads?: number;
  /** The wrapped extractor's queryDecodeSide. */
  queryDecodeSide?: number;
}

/** @internal Messages between ExtractPool and extract.worker.ts. */
export interface ExtractWorkerData {
  factoryModule: string;
  factoryExport: string;
  identityKey: string;
}
/** @internal */
export interface ExtractRequest {
  id: number;
  data: Uint8Array;
  width: number;
  height: number;
}
/** @internal */
export type ExtractReply =
  | { id: number; vector: Float32Array }
  | { id: number; error: string; code?: ErrorCode; details?: Record<string, unknown> };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (v: Float32Array) => void; reject: (e: Error) => void }>;
}

/**
 * A FeatureExtractor that runs another (CPU-bound, plain TypeScript) extractor in worker threads,
 * so feature extraction neither blocks the HTTP event loop nor serialises ingest on one core.
 * The vectors are the wrapped extractor's own: each worker builds it from the same factory and
 * refuses to start if the identity differs. Workers start on first use and keep the process
 * alive only while a request is in flight; `close()` stops them.
 */
export class PooledExtractor implements FeatureExtractor {
  readonly identity: ExtractorIdentity;
  readonly queryDecodeSide?: number;
  private readonly slots: (Slot | null)[];
  private nextId = 1;
  private closed = false;

  constructor(
    identity: ExtractorIdentity,
    private readonly factory: ExtractorFactoryRef,
    options: ExtractPoolOptions = {},
  ) {
    this.identity = identity;
    this.queryDecodeSide = options.queryDecodeSide;
    const threads = Math.max(1, Math.floor(options.threads ?? os.availableParallelism()));
    this.slots = Array.from({ length: threads }, () => null);
  }

  get threads(): number {
    return this.slots.length;
  }

  extract(image: RgbImage): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new AppError('INTERNAL_ERROR', 'extract pool is closed'));
    const slot = this.leastBusy();
    const id = this.nextId++;
    // A copy of exactly the pixels, transferred: the caller keeps its image (ingest encodes it next).
    const data = new Uint8Array(image.width * image.height * 3);
    data.set(image.data.subarray(0, data.length));
    return new Promise<Float32Array>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      const req: ExtractRequest = { id, data, width: image.width, height: image.height };
      slot.worker.postMessage(req, [data.buffer]);
    });
  }

  /** Stops the workers; pending requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = this.slots.flatMap((s) => (s ? [s.worker] : []));
    this.slots.fill(null);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private leastBusy(): Slot {
    let best = -1;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (!s) {
        best = i;
        break;
      }
      if (best < 0 || s.pending.size < this.slots[best]!.pending.size) best = i;
    }
    return (this.slots[best] ??= this.spawn(best));
  }

  private spawn(index: number): Slot {
    const workerData: ExtractWorkerData = {
      factoryModule: this.factory.module.href,
      factoryExport: this.factory.exportName,
      identityKey: identityKey(this.identity),
    };
    const worker = startWorker(workerData);
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (msg: ExtractReply) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      if (slot.pending.size === 0) worker.unref();
      if ('vector' in msg) p.resolve(msg.vector);
      else p.reject(msg.code ? new AppError(msg.code, msg.error, { details: msg.details ?? {} }) : new AppError('INTERNAL_ERROR', msg.error));
    });
    const fail = (err: Error): void => {
      // A crashed worker is replaced on the next request; its requests fail now.
      if (this.slots[index] === slot) this.slots[index] = null;
      for (const p of slot.pending.values()) p.reject(new AppError('INTERNAL_ERROR', `extract worker failed: ${err.message}`, { cause: err }));
      slot.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`exited with code ${code}`));
    });
    return slot;
  }
}

/**
 * Starts extract.worker. From compiled code (dist/) it is plain JS; from the TypeScript sources
 * (tests, `tsx`) the worker registers tsx's loader first so it can import .ts files.
 */
function startWorker(workerData: ExtractWorkerData): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './extract.worker.ts' : './extract.worker.js', import.meta.url);
  if (!fromSource) return new Worker(url, { workerData });
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * The default extractor in worker threads (`threads` > 0), or null to keep it on the calling
 * thread: when `extractor` is not the default one (an ONNX model has its own pool; tests pass
 * fakes), or threads is 0.
 */
export function poolDefaultExtractor(extractor: FeatureExtractor, threads: number): PooledExtractor | null {
  if (threads <= 0 || identityKey(extractor.identity) !== identityKey(createDefaultExtractor().identity)) return null;
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new PooledExtractor(extractor.identity, {
    module: new URL(`./classic/default.extractor${ext}`, import.meta.url),
    exportName: 'createDefaultExtractor',
  }, { threads, queryDecodeSide: extractor.queryDecodeSide });
}
