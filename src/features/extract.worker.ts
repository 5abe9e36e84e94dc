/**
 * Worker thread of ExtractPool: builds the extractor from its factory module, checks that its
 * identity is the main thread's, then answers extract requests (pixels in, vector out).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../domain/errors.js';
import { identityKey, type FeatureExtractor } from './feature-extractor.js';
import type { ExtractReply, ExtractRequest, ExtractWorkerData } from './extract-pool.js';

const data = workerData as ExtractWorkerData;
const port = parentPort!;

let extractor: FeatureExtractor | undefined;
let startError: string | undefined;
try {
  const mod = (await import(data.factoryModule)) as Record<string, unknown>;
  const factory = mod[data.factoryExport];
  if (typeof factory !== 'function') throw new Error(`${data.factoryModule} has no function export ${data.factoryExport}`);
  const built = (factory as () => FeatureExtractor)();
  const key = identityKey(built.identity);
  if (key !== data.identityKey) throw new Error(`worker extractor is ${key}, expected ${data.identityKey}`);
  extractor = built;
} catch (err) {
  startError = err instanceof Error ? err.message : String(err);
}

port.on('message', (req: ExtractRequest) => {
  const reply = (msg: ExtractReply, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
  if (!extractor) return reply({ id: req.id, error: `extract worker failed to start: ${startError}` });
  const image = { data: Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength), width: req.width, height: req.height, channels: 3 as const };
  extractor.extract(image).then(
    (vector) => reply({ id: req.id, vector }, [vector.buffer as ArrayBuffer]),
    (err: unknown) => reply({
      id: req.id,
      error: err instanceof Error ? err.message : String(err),
      ...(err instanceof AppError ? { code: err.code, details: err.details } : {}),
    }),
  );
});
