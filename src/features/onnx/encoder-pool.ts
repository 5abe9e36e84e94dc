import type { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../../domain/errors.js';
import type { RgbImage } from '../../imaging/types.js';
import type { ModelManifest } from './manifest.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';
import { startModuleWorker } from '../../workers/start-worker.js';

export interface EncoderPoolOptions {
  /** Worker threads, each with its own sessions. */
  workers: number;
  /** onnxruntime intra-op threads per session. */
  threadsPerWorker: number;
  /** Largest batch sent to one worker in one run. */
  maxBatch: number;
}

type Job =
  | { kind: 'image'; image: RgbImage; resolve: (v: Float32Array) => void; reject: (e: Error) => void }
  | { kind: 'text'; ids: number[]; mask: number[]; resolve: (v: Float32Array) => void; reject: (e: Error) => void };

interface Slot {
  worker: Worker;
  busy: boolean;
  pending: Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>;
}

/**
 * Encoder workers plus a batching queue. Requests that arrive while the workers are busy (ingest
 * runs several extractions at once; concurrent HTTP searches) are sent together as one batch
 * when a worker frees up; a lone request goes out on the next turn of the event loop.
 */
export class OnnxEncoderPool {
  private readonly queue: Job[] = [];
  private nextId = 1;
  private scheduled = false;
  private failure: Error | undefined;
  private closed = false;
  /** Batches run and items encoded so far (tests and benchmarks read it). */
  readonly stats = { batches: 0, items: 0, largestBatch: 0 };

  private constructor(
    private readonly slots: Slot[],
    private readonly manifest: ModelManifest,
    private readonly options: EncoderPoolOptions,
  ) {}

  /** Starts the workers and loads the sessions in each; fails with the worker's AppError (e.g. MODEL_MISMATCH). */
  static async open(manifest: ModelManifest, modelDir: string, options: EncoderPoolOptions): Promise<OnnxEncoderPool> {
    const slots: Slot[] = [];
    for (let i = 0; i < options.workers; i++) slots.push({ worker: startModuleWorker(import.meta.url, 'onnx.worker'), busy: false, pending: new Map() });
    const pool = new OnnxEncoderPool(slots, manifest, options);
    for (const slot of slots) pool.listen(slot);
    try {
      await Promise.all(slots.map((slot) => pool.request(slot, { type: 'init', id: 0, manifest, modelDir, threads: options.threadsPerWorker })));
    } catch (err) {
      await pool.close();
      throw err;
    }
    for (const slot of slots) slot.worker.unref();
    return pool;
  }

  get dimensions(): number {
    return this.manifest.dimensions;
  }

  encodeImage(image: RgbImage): Promise<Float32Array> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'image', image, resolve, reject }));
  }

  encodeTokens(ids: number[], mask: number[]): Promise<Float32Array> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'text', ids, mask, resolve, reject }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new AppError('INTERNAL_ERROR', 'The encoder was closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private enqueue(job: Job): void {
    if (this.closed || this.failure) {
      job.reject(this.failure ?? new AppError('INTERNAL_ERROR', 'The encoder is closed'));
      return;
    }
    this.queue.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      // Let the requests of this turn of the event loop join the batch.
      setImmediate(() => {
        this.scheduled = false;
        this.dispatch();
      });
    }
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy) continue;
      const kind = this.queue[0]!.kind;
      const batch: Job[] = [];
      for (let i = 0; i < this.queue.length && batch.length < this.options.maxBatch; ) {
        if (this.queue[i]!.kind === kind) batch.push(...this.queue.splice(i, 1));
        else i++;
      }
      void this.runBatch(slot, batch);
    }
  }

  private async runBatch(slot: Slot, batch: Job[]): Promise<void> {
    slot.busy = true;
    slot.worker.ref();
    this.stats.batches++;
    this.stats.items += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    try {
      const req = toRequest(batch);
      const transfer = req.type === 'image' ? req.images.map((i) => i.data.buffer as ArrayBuffer) : req.type === 'text' ? [req.ids.buffer as ArrayBuffer, req.mask.buffer as ArrayBuffer] : [];
      const reply = await this.request(slot, req, transfer);
      if (reply.type !== 'vectors') throw new AppError('INTERNAL_ERROR', `Unexpected encoder reply ${reply.type}`);
      const d = this.manifest.dimensions;
      batch.forEach((job, i) => job.resolve(reply.vectors.slice(i * d, (i + 1) * d)));
    } catch (err) {
      for (const job of batch) job.reject(err instanceof Error ? err : new Error(String(err)));
    } finally {
      slot.busy = false;
      slot.worker.unref();
      this.dispatch();
    }
  }

  private request(slot: Slot, req: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...req, id }, transfer);
    });
  }

  private listen(slot: Slot): void {
    slot.worker.on('message', (msg: WorkerReply) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      if (msg.type === 'error') p.reject(new AppError(msg.error.code as ErrorCode, msg.error.message, { details: msg.error.details }));
      else p.resolve(msg);
    });
    const fail = (err: Error) => {
      if (this.closed) return;
      this.failure = new AppError('INTERNAL_ERROR', `ONNX encoder worker failed: ${err.message}`, { cause: err });
      for (const p of slot.pending.values()) p.reject(this.failure);
      slot.pending.clear();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
  }
}

function toRequest(batch: Job[]): WorkerRequest {
  const first = batch[0]!;
  if (first.kind === 'image') {
    const images = (batch as Array<Extract<Job, { kind: 'image' }>>).map((j) => ({
      // A copy: decoded Buffers may be views into a shared pool that cannot be transferred.
      data: new Uint8Array(j.image.data),
      width: j.image.width,
      height: j.image.height,
    }));
    return { type: 'image', id: 0, images };
  }
  const texts = batch as Array<Extract<Job, { kind: 'text' }>>;
  const seq = first.ids.length;
  const ids = new BigInt64Array(texts.length * seq);
  const mask = new BigInt64Array(texts.length * seq);
  texts.forEach((t, i) => t.ids.forEach((v, k) => {
    ids[i * seq + k] = BigInt(v);
    mask[i * seq + k] = BigInt(t.mask[k] ?? 0);
  }));
  return { type: 'text', id: 0, ids, mask, n: texts.length, seq };
}
