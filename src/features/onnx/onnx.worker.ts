import { parentPort } from 'node:worker_threads';
import path from 'node:path';
import { AppError, toAppError } from '../../domain/errors.js';
import type { RgbImage } from '../../imaging/types.js';
import type { ModelManifest } from './manifest.js';
import { OnnxSession } from './onnx-session.js';
import { imageBatchTensor, poolOutput } from './preprocess.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

/**
 * One encoder worker: its own onnxruntime sessions (image tower, and text tower when the manifest
 * has one). Preprocessing runs here too, so the main thread only decodes and forwards pixels.
 */
let manifest: ModelManifest | undefined;
let image: OnnxSession | undefined;
let text: OnnxSession | undefined;
let feedMask = false;

const port = parentPort!;

function reply(msg: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

async function init(m: ModelManifest, modelDir: string, threads: number): Promise<void> {
  manifest = m;
  image = await OnnxSession.open(path.join(modelDir, m.image.model), { threads });
  image.expectNames([m.image.input.name], m.image.output.name);
  if (m.text) {
    text = await OnnxSession.open(path.join(modelDir, m.text.model), { threads });
    text.expectNames([m.text.inputIdsName], m.text.output.name);
    feedMask = m.text.attentionMaskName !== undefined && text.inputNames.includes(m.text.attentionMaskName);
  }
  // Probe runs: the manifest's dimensions must be what the graphs really produce.
  const grey: RgbImage = { data: Buffer.alloc(m.image.input.width * m.image.input.height * 3, 128), width: m.image.input.width, height: m.image.input.height, channels: 3 };
  checkDims('image', (await encodeImages([grey]))[0]!.length);
  if (m.text) {
    const seq = m.text.contextLength;
    const ids = new BigInt64Array(seq).fill(0n);
    const mask = new BigInt64Array(seq).fill(0n);
    ids[1] = 1n;
    mask[0] = mask[1] = 1n;
    checkDims('text', (await encodeText(ids, mask, 1, seq))[0]!.length);
  }
}

function checkDims(tower: string, got: number): void {
  const want = manifest!.dimensions;
  if (got !== want) {
    throw new AppError(
      'MODEL_MISMATCH',
      `Manifest "${manifest!.name}" declares ${want} dimensions but its ${tower} model produces ${got}: fix "dimensions" or the output/pooling`,
      { details: { model: manifest!.name, tower, declared: want, actual: got } },
    );
  }
}

async function encodeImages(images: RgbImage[]): Promise<Float32Array[]> {
  const m = manifest!;
  const tensor = imageBatchTensor(images, m.image);
  const out = await image!.run({ [m.image.input.name]: { type: 'float32', ...tensor } }, m.image.output.name);
  return poolOutput(out.data, out.dims, m.image.output.pooling, m.normalize);
}

async function encodeText(ids: BigInt64Array, mask: BigInt64Array, n: number, seq: number): Promise<Float32Array[]> {
  const t = manifest!.text!;
  const feeds: Parameters<OnnxSession['run']>[0] = { [t.inputIdsName]: { type: 'int64', data: ids, dims: [n, seq] } };
  if (feedMask) feeds[t.attentionMaskName!] = { type: 'int64', data: mask, dims: [n, seq] };
  const out = await text!.run(feeds, t.output.name);
  return poolOutput(out.data, out.dims, t.output.pooling, manifest!.normalize, { data: ids, seq });
}

function flat(vectors: Float32Array[]): Float32Array {
  const dims = manifest!.dimensions;
  const out = new Float32Array(vectors.length * dims);
  vectors.forEach((v, i) => out.set(v, i * dims));
  return out;
}

port.on('message', (req: WorkerRequest) => {
  void (async () => {
    try {
      switch (req.type) {
        case 'init':
          await init(req.manifest, req.modelDir, req.threads);
          reply({ type: 'ready', id: req.id });
          return;
        case 'image': {
          const images = req.images.map((im): RgbImage => ({ data: Buffer.from(im.data.buffer, im.data.byteOffset, im.data.byteLength), width: im.width, height: im.height, channels: 3 }));
          const vectors = flat(await encodeImages(images));
          reply({ type: 'vectors', id: req.id, vectors }, [vectors.buffer as ArrayBuffer]);
          return;
        }
        case 'text': {
          if (!text) throw new AppError('TEXT_SEARCH_UNAVAILABLE', `Model "${manifest?.name}" has no text tower`);
          const vectors = flat(await encodeText(req.ids, req.mask, req.n, req.seq));
          reply({ type: 'vectors', id: req.id, vectors }, [vectors.buffer as ArrayBuffer]);
          return;
        }
      }
    } catch (err) {
      const e = toAppError(err);
      reply({ type: 'error', id: req.id, error: { code: e.code, message: e.message, details: e.details } });
    }
  })();
});
