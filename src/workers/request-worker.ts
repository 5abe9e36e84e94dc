import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from './start-worker.js';

/** A reply carries the request's id and either a result or an error message. */
export type WorkerReply<R> = ({ id: number } & R) | { id: number; error: string };

/**
 * One helper thread with request/reply messages (`id` added here), for work split off a query:
 * started on first use from the module `name` next to `base` (startModuleWorker), kept from
 * holding the process open while idle, and marked broken when it fails or is closed, so callers
 * can do the work themselves instead (request() rejects from then on).
 */
export class RequestWorker<Req extends object, Res extends object> {
  private worker: Worker | null = null;
  private broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Res) => void; reject: (err: Error) => void }>();

  constructor(private readonly base: string, private readonly name: string) {}

  /** Sends a message that needs no reply (e.g. shared tables for later requests); false when the worker is unavailable. */
  post(message: object): boolean {
    if (this.broken) return false;
    this.start().postMessage(message);
    return true;
  }

  request(message: Req): Promise<Res> {
    if (this.broken) return Promise.reject(new Error(`${this.name} unavailable`));
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ ...message, id });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startModuleWorker(this.base, this.name);
    worker.unref();
    worker.on('message', (reply: WorkerReply<Res>) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if ('error' in reply) p.reject(new Error(reply.error));
      else p.resolve(reply as unknown as Res);
    });
    const fail = (err: Error): void => {
      this.broken = true;
      this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`${this.name} exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.broken = true;
    await worker?.terminate();
  }
}
