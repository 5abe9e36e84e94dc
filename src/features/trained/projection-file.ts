import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { writeAtomically } from '../../index/atomic-file.js';
import type { ExtractorIdentity } from '../feature-extractor.js';
import type { ProjectionModel } from './projection.js';

/*
 * A trained projection lives in <data>/trained/:
 *   projection.json   TrainedManifest: the base extractor it applies to, shapes, the weights' sha256, how it was trained
 *   projection.bin    the weights: mean, whiten, w1, b1, w2, b2 as little-endian float32, in that order
 * The weights are written first and the manifest last, each atomically; the manifest names the
 * checksum, so a torn or edited weights file is detected on load (TRAINED_MODEL_CORRUPT).
 */

export const TRAINED_DIR = 'trained';
export const MANIFEST_FILE = 'projection.json';
export const WEIGHTS_FILE = 'projection.bin';
export const MANIFEST_FORMAT = 1;

const identitySchema = z.object({
  name: z.string(),
  version: z.string(),
  dimensions: z.number().int().positive(),
  metric: z.enum(['cosine', 'euclidean']),
  preprocessing: z.string(),
});

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  base: identitySchema,
  inputDimensions: z.number().int().positive(),
  pcaComponents: z.number().int().positive(),
  hidden: z.number().int().positive(),
  outputDimensions: z.number().int().positive(),
  /** sha256 (hex) of projection.bin. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  trainedAt: z.string(),
  /** Category names the projection was trained on, and how many images. */
  categories: z.array(z.string()),
  examples: z.number().int().nonnegative(),
  /** Recipe and measurements, for the record. */
  training: z.record(z.string(), z.union([z.number(), z.string()])),
});

export type TrainedManifest = z.infer<typeof manifestSchema>;

export function trainedDir(dataDir: string): string {
  return path.join(dataDir, TRAINED_DIR);
}

function arraysOf(m: ProjectionModel): Float32Array[] {
  return [m.mean, m.whiten, m.w1, m.b1, m.w2, m.b2];
}

function expectedLengths(m: Pick<ProjectionModel, 'inputDimensions' | 'pcaComponents' | 'hidden' | 'outputDimensions'>): number[] {
  const { inputDimensions: d, pcaComponents: p, hidden: h, outputDimensions: e } = m;
  return [d, d * p, p * h, h, h * e, e];
}

/** The weights as one little-endian float32 buffer. */
export function encodeWeights(m: ProjectionModel): Buffer {
  const arrays = arraysOf(m);
  const lengths = expectedLengths(m);
  arrays.forEach((a, i) => {
    if (a.length !== lengths[i]) throw new AppError('INVALID_PARAMETER', `projection array ${i} has ${a.length} values, expected ${lengths[i]}`);
  });
  const out = Buffer.alloc(lengths.reduce((s, n) => s + n, 0) * 4);
  let offset = 0;
  for (const a of arrays) for (const v of a) offset = out.writeFloatLE(v, offset);
  return out;
}

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes the projection for `base` into <dataDir>/trained/; returns the manifest written. */
export async function saveProjection(
  dataDir: string, model: ProjectionModel, meta: Pick<TrainedManifest, 'base' | 'categories' | 'examples' | 'training'>,
): Promise<TrainedManifest> {
  const dir = trainedDir(dataDir);
  await mkdir(dir, { recursive: true });
  const weights = encodeWeights(model);
  const manifest: TrainedManifest = {
    format: MANIFEST_FORMAT,
    base: { ...meta.base },
    inputDimensions: model.inputDimensions,
    pcaComponents: model.pcaComponents,
    hidden: model.hidden,
    outputDimensions: model.outputDimensions,
    sha256: sha256Of(weights),
    trainedAt: new Date().toISOString(),
    categories: meta.categories,
    examples: meta.examples,
    training: meta.training,
  };
  await writeAtomically(path.join(dir, WEIGHTS_FILE), (tmp) => writeFile(tmp, weights));
  await writeAtomically(path.join(dir, MANIFEST_FILE), (tmp) => writeFile(tmp, JSON.stringify(manifest, null, 2) + '\n', 'utf8'));
  return manifest;
}

/**
 * Reads the projection in <dataDir>/trained/: null when there is none; AppError
 * TRAINED_MODEL_CORRUPT when the manifest is invalid or the weights do not match its checksum or shapes.
 */
export async function loadProjection(dataDir: string): Promise<{ manifest: TrainedManifest; model: ProjectionModel } | null> {
  const dir = trainedDir(dataDir);
  const corrupt = (why: string, cause?: unknown) =>
    new AppError('TRAINED_MODEL_CORRUPT', `trained projection in ${dir}: ${why}; train again (shoplens train) or go back to the base extractor (shoplens train --reset)`, {
      details: { dir }, ...(cause === undefined ? {} : { cause }),
    });
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw corrupt('cannot read the manifest', err);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw corrupt('the manifest is not JSON', err);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw corrupt(`invalid manifest: ${parsed.error.message}`);
  const manifest = parsed.data;
  let weights: Buffer;
  try {
    weights = await readFile(path.join(dir, WEIGHTS_FILE));
  } catch (err) {
    throw corrupt('cannot read the weights', err);
  }
  if (sha256Of(weights) !== manifest.sha256) throw corrupt('the weights do not match the manifest checksum');
  const lengths = expectedLengths(manifest);
  if (weights.length !== lengths.reduce((s, n) => s + n, 0) * 4) throw corrupt('the weights do not match the manifest shapes');
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const n of lengths) {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++, offset += 4) a[i] = weights.readFloatLE(offset);
    arrays.push(a);
  }
  const [mean, whiten, w1, b1, w2, b2] = arrays as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const { inputDimensions, pcaComponents, hidden, outputDimensions } = manifest;
  return { manifest, model: { inputDimensions, pcaComponents, hidden, outputDimensions, mean, whiten, w1, b1, w2, b2 } };
}

/** Removes the trained projection (back to the base extractor); true when there was one. */
export async function removeProjection(dataDir: string): Promise<boolean> {
  const dir = trainedDir(dataDir);
  const had = (await readFile(path.join(dir, MANIFEST_FILE)).then(() => true, () => false));
  // Manifest first: without it the weights are ignored, so a crash in between leaves the base extractor.
  await rm(path.join(dir, MANIFEST_FILE), { force: true });
  await rm(path.join(dir, WEIGHTS_FILE), { force: true });
  return had;
}

/** The identity of base + projection: a new checksum (any retraining) gives a new identity. */
export function trainedIdentity(base: ExtractorIdentity, manifest: TrainedManifest): ExtractorIdentity {
  const tag = manifest.sha256.slice(0, 16);
  return {
    name: `${base.name}-trained`,
    version: `${base.version}+${tag}`,
    dimensions: manifest.outputDimensions,
    metric: 'cosine',
    preprocessing: `${base.preprocessing}; catalog-trained projection ${tag} (PCA ${manifest.pcaComponents} + MLP ${manifest.hidden} → ${manifest.outputDimensions}, L2)`,
  };
}
