import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { ExtractorIdentity } from '../feature-extractor.js';
import { identitySchema, loadWeightsFolder, removeWeightsFolder, saveWeightsFolder, type WeightsFolder } from '../weights-folder.js';
import type { ProjectionModel } from './projection.js';

/*
 * A trained projection lives in <data>/trained/:
 *   projection.json   TrainedManifest: the base extractor it applies to, shapes, the weights' sha256, how it was trained
 *   projection.bin    the weights: mean, whiten, w1, b1, w2, b2 as little-endian float32, in that order
 * written and checked as a weights folder (../weights-folder.ts): a torn or edited weights file is
 * detected on load (TRAINED_MODEL_CORRUPT).
 */

export const TRAINED_DIR = 'trained';
export const MANIFEST_FILE = 'projection.json';
export const WEIGHTS_FILE = 'projection.bin';
export const MANIFEST_FORMAT = 1;

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

function folderOf(dataDir: string): WeightsFolder {
  const dir = trainedDir(dataDir);
  return {
    dir, manifestFile: MANIFEST_FILE, weightsFile: WEIGHTS_FILE,
    corrupt: (why, cause) =>
      new AppError('TRAINED_MODEL_CORRUPT', `trained projection in ${dir}: ${why}; train again (shoplens train) or go back to the base extractor (shoplens train --reset)`, {
        details: { dir }, ...(cause === undefined ? {} : { cause }),
      }),
  };
}

/** Writes the projection for `base` into <dataDir>/trained/; returns the manifest written. */
export async function saveProjection(
  dataDir: string, model: ProjectionModel, meta: Pick<TrainedManifest, 'base' | 'categories' | 'examples' | 'training'>,
): Promise<TrainedManifest> {
  return saveWeightsFolder<TrainedManifest>(folderOf(dataDir), arraysOf(model), expectedLengths(model), {
    format: MANIFEST_FORMAT,
    base: { ...meta.base },
    inputDimensions: model.inputDimensions,
    pcaComponents: model.pcaComponents,
    hidden: model.hidden,
    outputDimensions: model.outputDimensions,
    trainedAt: new Date().toISOString(),
    categories: meta.categories,
    examples: meta.examples,
    training: meta.training,
  });
}

/**
 * Reads the projection in <dataDir>/trained/: null when there is none; AppError
 * TRAINED_MODEL_CORRUPT when the manifest is invalid or the weights do not match its checksum or shapes.
 */
export async function loadProjection(dataDir: string): Promise<{ manifest: TrainedManifest; model: ProjectionModel } | null> {
  const loaded = await loadWeightsFolder(folderOf(dataDir), manifestSchema, expectedLengths);
  if (!loaded) return null;
  const { manifest, arrays } = loaded;
  const [mean, whiten, w1, b1, w2, b2] = arrays as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const { inputDimensions, pcaComponents, hidden, outputDimensions } = manifest;
  return { manifest, model: { inputDimensions, pcaComponents, hidden, outputDimensions, mean, whiten, w1, b1, w2, b2 } };
}

/** Removes the trained projection (back to the base extractor); true when there was one. */
export async function removeProjection(dataDir: string): Promise<boolean> {
  return removeWeightsFolder(folderOf(dataDir));
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
