/**
 * Worker thread of FlatWorker: looks for the catalogue's flat products (FlatIndex, a copy sent
 * once per index) in a photo, so the calling thread can verify keypoint matches meanwhile.
 */
import { parentPort } from 'node:worker_threads';
import { FlatIndex, type FlatRequest } from './flat.js';

const port = parentPort!;
let index: { id: number; flat: FlatIndex } | null = null;

port.on('message', (req: FlatRequest) => {
  if (req.type === 'index') {
    index = { id: req.indexId, flat: new FlatIndex(req.products) };
    return;
  }
  const fail = (err: unknown): void => port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
  if (!index || index.id !== req.indexId) return fail(new Error(`flat worker has index ${index?.id ?? 'none'}, asked for ${req.indexId}`));
  const keys = req.keys ? new Set(req.keys) : null;
  const photo = { data: Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength), width: req.width, height: req.height, channels: 3 as const };
  index.flat.match(photo, req.options, keys ? (key) => keys.has(key) : undefined).then((matches) => port.postMessage({ id: req.id, ...matches }), fail);
});
