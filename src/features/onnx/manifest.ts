import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';

/**
 * A model manifest: everything shoplens needs to run an ONNX encoder, as data. One generic
 * preprocessor and one generic extractor read it (DESIGN.md §8); a new model is a new JSON file,
 * never new code. Built-in manifests live in builtin-manifests.ts; a shop can drop its own
 * `<models>/<name>/manifest.json` next to the model files.
 */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const RELATIVE_FILE = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), 'must be a relative path inside the model folder');
const Triple = z.tuple([z.number(), z.number(), z.number()]);

const OutputSchema = z.object({
  /** Graph output to read. */
  name: z.string().min(1),
  /**
   * none: the output is already [batch, dims]; cls: first token of [batch, tokens, dims];
   * mean: mean over tokens of [batch, tokens, dims]; gap: global average over the spatial axes of
   * [batch, dims, h, w] (NCHW feature map); eos: (text towers) the token at the position of the
   * largest input id, as CLIP's text model pools.
   */
  pooling: z.enum(['none', 'cls', 'mean', 'gap', 'eos']).default('none'),
});

const ImageTowerSchema = z.object({
  model: RELATIVE_FILE,
  input: z.object({
    name: z.string().min(1),
    /** Network input size in pixels. */
    width: z.number().int().min(1).max(4096),
    height: z.number().int().min(1).max(4096),
    layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
    channelOrder: z.enum(['RGB', 'BGR']).default('RGB'),
    /** Pixel values before mean/std: "0-1" divides by 255, "0-255" keeps bytes. */
    valueRange: z.enum(['0-1', '0-255']).default('0-1'),
    mean: Triple.default([0, 0, 0]),
    std: Triple.default([1, 1, 1]).refine((s) => s.every((v) => v > 0), 'std values must be > 0'),
  }),
  /**
   * shortestSide: scale so the shorter side is this many pixels (aspect kept), then crop the centre
   * to the input size. Omitted: stretch the image to the input size.
   */
  resize: z.object({ shortestSide: z.number().int().min(1).max(8192) }).optional(),
  output: OutputSchema,
});

const TextTowerSchema = z.object({
  model: RELATIVE_FILE,
  /** A Hugging Face tokenizer.json holding a byte-level BPE model (CLIP's tokenizer). */
  tokenizer: RELATIVE_FILE,
  inputIdsName: z.string().min(1).default('input_ids'),
  /** Feed an attention mask (1 for tokens, 0 for padding) under this name, when the graph has such an input. */
  attentionMaskName: z.string().min(1).optional(),
  /** Token sequence length (CLIP: 77); longer texts are truncated, shorter ones padded. */
  contextLength: z.number().int().min(2).max(4096),
  /** Id used for padding; defaults to the end-of-text token id. */
  padTokenId: z.number().int().min(0).optional(),
  output: OutputSchema,
});

const FileCheckSchema = z.object({
  sizeBytes: z.number().int().positive().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});

export const ManifestSchema = z.object({
  name: z.string().regex(NAME, 'lowercase letters, digits, ".", "_" and "-" only'),
  description: z.string().default(''),
  /** Where `shoplens models pull` fetches the files: a Hugging Face model repository. */
  source: z
    .object({
      repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name'),
      revision: z.string().min(1).default('main'),
    })
    .optional(),
  license: z.string().default('see the model card'),
  /** Approximate download size for `models list` before the files are fetched (e.g. "352 MB"). */
  downloadSize: z.string().optional(),
  /** What was and was not checked about this manifest against the real model (honesty note). */
  verification: z.string().default(''),
  dimensions: z.number().int().min(1).max(65_536),
  metric: z.enum(['cosine', 'euclidean']).default('cosine'),
  /** L2-normalise each output vector (required for the cosine metric's index). */
  normalize: z.boolean().default(true),
  image: ImageTowerSchema,
  text: TextTowerSchema.optional(),
  /** Expected size / sha256 per file, checked after download and on `models list`. */
  files: z.record(z.string(), FileCheckSchema).default({}),
});

export type ModelManifest = z.infer<typeof ManifestSchema>;
export type ImageTower = ModelManifest['image'];
export type TextTower = NonNullable<ModelManifest['text']>;
export type Pooling = z.infer<typeof OutputSchema>['pooling'];

/** Validates a manifest (parsed JSON); every problem is reported in one INVALID_MODEL_MANIFEST error. */
export function parseManifest(raw: unknown, where: string): ModelManifest {
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AppError('INVALID_MODEL_MANIFEST', `Invalid model manifest ${where}:\n  ${problems.join('\n  ')}`, {
      details: { where, problems },
    });
  }
  const m = parsed.data;
  if (m.metric === 'cosine' && !m.normalize) {
    throw new AppError('INVALID_MODEL_MANIFEST', `Invalid model manifest ${where}: the cosine metric needs "normalize": true`, {
      details: { where },
    });
  }
  if (m.image.output.pooling === 'eos') {
    throw new AppError('INVALID_MODEL_MANIFEST', `Invalid model manifest ${where}: "eos" pooling is for text towers only`, {
      details: { where },
    });
  }
  return m;
}

/** Parses manifest JSON text (a file's contents). */
export function parseManifestJson(text: string, where: string): ModelManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AppError('INVALID_MODEL_MANIFEST', `Model manifest ${where} is not valid JSON`, { details: { where }, cause: err });
  }
  return parseManifest(raw, where);
}

/** Every file a manifest needs in its model folder. */
export function manifestFiles(m: ModelManifest): string[] {
  return [...new Set([m.image.model, ...(m.text ? [m.text.model, m.text.tokenizer] : [])])];
}

/**
 * Short stable hash of the fields that decide the vectors (model source and files, preprocessing,
 * output, pooling, dimensions): part of the extractor identity, so a changed preprocessing never
 * mixes vectors. Descriptions and notes are left out: editing them must not force a re-ingest.
 */
export function manifestHash(m: ModelManifest): string {
  const { name, source, dimensions, metric, normalize, image, text, files } = m;
  return createHash('sha256').update(stableJson({ name, source, dimensions, metric, normalize, image, text, files })).digest('hex').slice(0, 16);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Human-readable preprocessing summary (stored in the extractor identity). */
export function describePreprocessing(m: ModelManifest): string {
  const i = m.image;
  const resize = i.resize ? `short${i.resize.shortestSide}+center-crop` : 'stretch';
  const fmt = (t: readonly number[]) => t.map((v) => Number(v.toFixed(4))).join(',');
  return [
    `${resize}${i.input.width}x${i.input.height}`,
    i.input.layout,
    i.input.channelOrder,
    i.input.valueRange,
    `mean(${fmt(i.input.mean)})`,
    `std(${fmt(i.input.std)})`,
    `${i.output.name}:${i.output.pooling}`,
    m.normalize ? 'l2' : 'raw',
  ].join(';');
}
