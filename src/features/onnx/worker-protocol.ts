import type { ErrorCode } from '../../domain/errors.js';
import type { ModelManifest } from './manifest.js';

/** Messages between the main thread (OnnxEncoderPool) and an encoder worker (onnx.worker.ts). */
export type WorkerRequest =
  | { type: 'init'; id: number; manifest: ModelManifest; modelDir: string; threads: number }
  | { type: 'image'; id: number; images: Array<{ data: Uint8Array; width: number; height: number }> }
  | { type: 'text'; id: number; ids: BigInt64Array; mask: BigInt64Array; n: number; seq: number };

export type WorkerReply =
  | { type: 'ready'; id: number }
  | { type: 'vectors'; id: number; vectors: Float32Array }
  | { type: 'error'; id: number; error: { code: ErrorCode; message: string; details: Record<string, unknown> } };
