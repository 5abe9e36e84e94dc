import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../domain/errors.js';
import type { RgbImage } from '../../imaging/types.js';
import type { ExtractorIdentity, FeatureExtractor } from '../feature-extractor.js';
import { ClipTokenizer } from '../text/clip-tokenizer.js';
import { MAX_TEXT_QUERY_LENGTH, type TextEmbedder } from '../text/text-embedder.js';
import { OnnxEncoderPool, type EncoderPoolOptions } from './encoder-pool.js';
import { describePreprocessing, manifestHash, type ModelManifest } from './manifest.js';
import type { ModelStore } from './model-store.js';

/** Prefix of ONNX extractor names in config (`SHOPLENS_EXTRACTOR=onnx:<model>`) and identities. */
export const ONNX_PREFIX = 'onnx:';

/**
 * Default worker layout: one worker (one copy of the weights in memory) with 2 onnxruntime
 * threads, batches of up to 16. bench/onnx/onnx-throughput.bench.ts compares it with 2 workers × 1
 * thread and with no batching; on the shared 2-core machine (load 12–18) the layouts were within
 * noise of each other (9–21 images/s on a 0.97 GFLOP CNN), so memory decided. Re-run the bench on
 * the target machine before changing it.
 */
export function defaultPoolOptions(): EncoderPoolOptions {
  return { workers: 1, threadsPerWorker: 2, maxBatch: 16 };
}

/**
 * The one generic ONNX image extractor: everything model-specific comes from its manifest
 * (preprocessing, output, pooling, dimensions). Inference runs in worker threads with batching.
 */
export class OnnxImageExtractor implements FeatureExtractor {
  readonly identity: ExtractorIdentity;

  private constructor(
    readonly manifest: ModelManifest,
    private readonly pool: OnnxEncoderPool,
    /** The text tower, when the manifest has one (CLIP-class models). */
    readonly text: TextEmbedder | null,
    /** Sizes of the model files: re-pulling a moved revision with new weights changes the identity. */
    fileSizes: number[],
  ) {
    this.identity = {
      name: `${ONNX_PREFIX}${manifest.name}`,
      version: createHash('sha256').update(`${manifestHash(manifest)}/${fileSizes.join(',')}`).digest('hex').slice(0, 16),
      dimensions: manifest.dimensions,
      metric: manifest.metric,
      preprocessing: describePreprocessing(manifest),
    };
  }

  /** Loads an installed model (never downloads): MODEL_NOT_INSTALLED names `shoplens models pull`. */
  static async open(models: ModelStore, name: string, options: Partial<EncoderPoolOptions> = {}): Promise<OnnxImageExtractor> {
    const entry = await models.requireInstalled(name);
    const { manifest } = entry;
    const sizes = entry.files.map((f) => f.bytes ?? 0);
    const tokenizer = manifest.text
      ? ClipTokenizer.fromTokenizerJson(await readFile(path.join(entry.dir, manifest.text.tokenizer), 'utf8'), path.join(entry.dir, manifest.text.tokenizer))
      : null;
    const pool = await OnnxEncoderPool.open(manifest, entry.dir, { ...defaultPoolOptions(), ...options });
    if (!tokenizer || !manifest.text) return new OnnxImageExtractor(manifest, pool, null, sizes);
    const t = manifest.text;
    const text: TextEmbedder = {
      dimensions: manifest.dimensions,
      embed: async (query: string) => {
        const q = query.trim();
        if (q.length === 0 || q.length > MAX_TEXT_QUERY_LENGTH) {
          throw new AppError('INVALID_PARAMETER', `text must have 1 to ${MAX_TEXT_QUERY_LENGTH} characters`, { details: { length: q.length } });
        }
        const { ids, mask } = tokenizer.encode(q, t.contextLength, t.padTokenId ?? tokenizer.eosId);
        return pool.encodeTokens(ids, mask);
      },
    };
    return new OnnxImageExtractor(manifest, pool, text, sizes);
  }

  extract(image: RgbImage): Promise<Float32Array> {
    return this.pool.encodeImage(image);
  }

  /** Batches run by the encoder workers so far. */
  get batchStats(): Readonly<OnnxEncoderPool['stats']> {
    return this.pool.stats;
  }

  /** Stops the workers (their sessions are freed with them). */
  close(): Promise<void> {
    return this.pool.close();
  }
}
