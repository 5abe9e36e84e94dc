import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RetrievalTotals } from './exact-ranking.js';

export type WorkerRequest =
  | { type: 'extract'; id: number; extractor: string; pixels: Uint8Array; count: number; rows: number; cols: number }
  | { type: 'catalog'; id: number; vectors: Float32Array; dimensions: number; labels: Uint8Array }
  | { type: 'rank'; id: number; vectors: Float32Array; labels: Uint8Array };

export type WorkerReply =
  | { type: 'features'; id: number; features: Float32Array; dimensions: number }
  | { type: 'ready'; id: number }
  | { type: 'progress'; id: number; done: number }
  | { type: 'totals'; id: number; totals: RetrievalTotals }
  | { type: 'error'; id: number; message: string };

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (err: Error) => void;
  onProgress?: (done: number) => void;
}

/**
 * Starts the bench worker. From compiled code (dist/) it is plain JS; when running from the
 * TypeScript sources (tests, `tsx`) the worker gets tsx's loader so it can import .ts files.
 */
function startWorker(): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './bench.worker.ts' : './bench.worker.js', import.meta.url);
  if (!fromSource) return new Worker(url);
  // tsx is a dev dependency: only the source tree (tests, `npx tsx`) gets here.
  // tsx's own loader entry skips registration off the main thread, so register through its API.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true });
}

/** One bench worker with a request/reply channel. */
export class BenchWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;

  constructor() {
    this.worker = startWorker();
    this.worker.on('message', (msg: WorkerReply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.type === 'progress') { p.onProgress?.(msg.done); return; }
      this.pending.delete(msg.id);
      if (msg.type === 'error') p.reject(new Error(`bench worker: ${msg.message}`));
      else p.resolve(msg);
    });
    const failAll = (err: Error) => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', failAll);
    this.worker.on('exit', (code) => { if (this.pending.size > 0) failAll(new Error(`bench worker exited with code ${code}`)); });
  }

  /** Sends a request (ids are assigned here) and resolves with its final reply. */
  request(req: DistributiveOmit<WorkerRequest, 'id'>, onProgress?: (done: number) => void): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
      this.worker.postMessage({ ...req, id });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
