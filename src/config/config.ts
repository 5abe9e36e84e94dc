import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import { VECTOR_INDEX_KINDS } from '../index/index-kinds.js';

/**
 * One schema for all configuration. Environment variables (SHOPLENS_*) give defaults;
 * CLI flags override them. Validated once at start-up; every bad value reported together.
 */
const ConfigSchema = z.object({
  dataDir: z.string().min(1),
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  /** ANN index: hnsw (float32, default), usearch-f32|f16|i8 (quantised; i8 re-ranks with the store's vectors), exact. */
  indexKind: z.enum(VECTOR_INDEX_KINDS),
  maxImagePixels: z.coerce.number().int().positive(),
  maxImageBytes: z.coerce.number().int().positive(),
  /** Largest request body (multipart upload) the HTTP server accepts. */
  maxUploadBytes: z.coerce.number().int().positive(),
  fetchTimeoutMs: z.coerce.number().int().positive(),
  /** Let search-by-URL fetch loopback/private addresses (off by default: SSRF guard). */
  allowPrivateUrls: z.preprocess(toBool, z.boolean()),
  ingestBatchSize: z.coerce.number().int().min(1).max(10_000),
  ingestConcurrency: z.coerce.number().int().min(1).max(64),
  /** Worker threads for the default extractor (search and ingest); 0 extracts on the main thread. */
  extractThreads: z.coerce.number().int().min(0).max(64),
  /**
   * usearch-i8 only: fewest candidates re-ranked with the store's float32 vectors (at least 4 × k).
   * 40 restores exact recall at 100k; at 1M, 400 lifts recall@10 from 0.85 to 0.95 for ~8 ms more.
   */
  rerankCandidates: z.coerce.number().int().min(1).max(10_000),
  /**
   * `shoplens ingest` adapts the features to the catalog (label-free, as `shoplens adapt`) once it
   * holds this many images and no adaptation or trained projection exists; 0 never does.
   */
  autoAdaptMinImages: z.coerce.number().int().min(0),
  /** When set, mutating HTTP endpoints (DELETE) require `Authorization: Bearer <token>`. */
  adminToken: z.string(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** Days the anonymous search log keeps entries (demand trends); 0 turns the log off. */
  searchLogRetentionDays: z.coerce.number().int().min(0).max(3650),
  /**
   * Product lookup by local features (ORB + verification): finds the exact product in shopper
   * photos (BENCHMARKS.md, bench/lookup/README.md). "auto" (the default) follows the data directory:
   * on once a catalog was ingested with it (`shoplens ingest --lookup`, the demo), off until then or
   * after `--no-lookup`; true / false force it for one process. It makes ingest ~3–10× slower and
   * its index takes ~26 KB per catalog image, so a shop turns it on rather than getting it unasked.
   */
  localFeatures: z.preprocess((v) => (v === 'auto' ? v : toBool(v)), z.union([z.literal('auto'), z.boolean()])),
  /**
   * Use the native ORB addon (native/opencv-orb, built by `npm install` when OpenCV's headers are
   * installed) when it is there; false forces OpenCV's WASM build (same keypoints, ~4× slower), to
   * diagnose the addon. "skip" (the install-time switch that skips building it) also means false.
   */
  nativeOrb: z.preprocess((v) => (v === 'skip' ? false : toBool(v)), z.boolean()),
  /**
   * Largest in-plane rotation (degrees) at which product lookup expects the product in a shopper's
   * photo: a placement turned further is not considered, or ranks low, and a keypoint correspondence
   * whose ORB orientations differ by more than this plus 15° does not count. 180 accepts any rotation
   * (shops whose shoppers photograph products lying at any angle).
   */
  lookupMaxRotation: z.coerce.number().min(0).max(180),
  /**
   * Feature extractor: "default" (classic, built in), "nsfwjs-mobilenet-v2" (a CNN bundled with npm),
   * "onnx:<model>" (an installed model, see `shoplens models`), or a hybrid of several joined by "+",
   * each with an optional weight: "onnx:clip-vit-b32*2+default" (see features/hybrid).
   */
  extractor: z.string().regex(
    /^[a-z][\w.-]*(:[a-z0-9][a-z0-9._-]{0,63})?(\*[0-9]*\.?[0-9]+)?(\+[a-z][\w.-]*(:[a-z0-9][a-z0-9._-]{0,63})?(\*[0-9]*\.?[0-9]+)?)*$/,
    'expected "default", "onnx:<model name>", or a hybrid such as "onnx:clip-vit-b32*2+default"',
  ),
  /** Folder of ONNX models; empty means <dataDir>/models. */
  modelsDir: z.string(),
  /** Hugging Face hub base URL used by `shoplens models pull` (a mirror, or a local server in tests). */
  hubEndpoint: z.string().url(),
  /** ONNX encoder worker threads, and onnxruntime intra-op threads in each. */
  onnxWorkers: z.coerce.number().int().min(1).max(16),
  onnxThreads: z.coerce.number().int().min(1).max(64),
});

export type Config = z.infer<typeof ConfigSchema>;

function toBool(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off|)$/i.test(v)) return false;
  return v;
}

const ENV_KEYS: Record<keyof Config, string> = {
  dataDir: 'SHOPLENS_DATA',
  host: 'SHOPLENS_HOST',
  port: 'SHOPLENS_PORT',
  indexKind: 'SHOPLENS_INDEX',
  maxImagePixels: 'SHOPLENS_MAX_IMAGE_PIXELS',
  maxImageBytes: 'SHOPLENS_MAX_IMAGE_BYTES',
  maxUploadBytes: 'SHOPLENS_MAX_UPLOAD_BYTES',
  fetchTimeoutMs: 'SHOPLENS_FETCH_TIMEOUT_MS',
  allowPrivateUrls: 'SHOPLENS_ALLOW_PRIVATE_URLS',
  ingestBatchSize: 'SHOPLENS_INGEST_BATCH_SIZE',
  ingestConcurrency: 'SHOPLENS_INGEST_CONCURRENCY',
  extractThreads: 'SHOPLENS_EXTRACT_THREADS',
  rerankCandidates: 'SHOPLENS_RERANK_CANDIDATES',
  autoAdaptMinImages: 'SHOPLENS_AUTO_ADAPT_MIN_IMAGES',
  adminToken: 'SHOPLENS_ADMIN_TOKEN',
  logLevel: 'SHOPLENS_LOG_LEVEL',
  searchLogRetentionDays: 'SHOPLENS_SEARCH_LOG_RETENTION_DAYS',
  localFeatures: 'SHOPLENS_LOCAL_FEATURES',
  nativeOrb: 'SHOPLENS_NATIVE_ORB',
  lookupMaxRotation: 'SHOPLENS_LOOKUP_MAX_ROTATION',
  extractor: 'SHOPLENS_EXTRACTOR',
  modelsDir: 'SHOPLENS_MODELS',
  hubEndpoint: 'SHOPLENS_HUB_ENDPOINT',
  onnxWorkers: 'SHOPLENS_ONNX_WORKERS',
  onnxThreads: 'SHOPLENS_ONNX_THREADS',
};

export const DEFAULTS: Config = {
  dataDir: './shoplens-data',
  host: '127.0.0.1',
  port: 8080,
  indexKind: 'hnsw',
  maxImagePixels: 40_000_000,
  maxImageBytes: 25 * 1024 * 1024,
  maxUploadBytes: 30 * 1024 * 1024,
  fetchTimeoutMs: 15_000,
  allowPrivateUrls: false,
  ingestBatchSize: 64,
  ingestConcurrency: 2,
  extractThreads: os.availableParallelism(),
  rerankCandidates: 40,
  autoAdaptMinImages: 2000,
  adminToken: '',
  logLevel: 'warn',
  searchLogRetentionDays: 90,
  localFeatures: 'auto',
  nativeOrb: true,
  lookupMaxRotation: 45,
  extractor: 'default',
  modelsDir: '',
  hubEndpoint: 'https://huggingface.co',
  onnxWorkers: 1,
  onnxThreads: 2,
};

/** Builds the validated config from defaults, then env, then explicit overrides (CLI flags). */
export function loadConfig(
  overrides: Partial<Record<keyof Config, unknown>> = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const raw: Record<string, unknown> = { ...DEFAULTS };
  for (const [key, envName] of Object.entries(ENV_KEYS)) {
    const v = env[envName];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  for (const [key, v] of Object.entries(overrides)) if (v !== undefined) raw[key] = v;
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const env = ENV_KEYS[key as keyof Config];
      return `${key}${env ? ` (${env})` : ''}: ${i.message}`;
    });
    throw new AppError('INVALID_CONFIG', `Invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  const dataDir = path.resolve(parsed.data.dataDir);
  const modelsDir = parsed.data.modelsDir ? path.resolve(parsed.data.modelsDir) : path.join(dataDir, 'models');
  return { ...parsed.data, dataDir, modelsDir };
}
