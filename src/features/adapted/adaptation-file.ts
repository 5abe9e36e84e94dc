import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { ExtractorIdentity } from '../feature-extractor.js';
import { identitySchema, loadWeightsFolder, removeWeightsFolder, saveWeightsFolder, type WeightsFolder } from '../weights-folder.js';
import { adaptedDimensions, type AdaptationModel } from './adaptation.js';

/*
 * A catalog adaptation lives in <data>/adapted/:
 *   adaptation.json   AdaptedManifest: the base extractor it applies to, shapes, a(x)'s parameters, the weights' sha256
 *   adaptation.bin    mean (d), whiten (d × p), anchors (m × p) as little-endian float32
 * written and checked as a weights folder (../weights-folder.ts): a torn or edited file is
 * detected on load (ADAPTATION_CORRUPT).
 */

export const ADAPTED_DIR = 'adapted';
export const ADAPTED_MANIFEST_FILE = 'adaptation.json';
export const ADAPTED_WEIGHTS_FILE = 'adaptation.bin';
export const ADAPTED_FORMAT = 1;

const manifestSchema = z.object({
  format: z.literal(ADAPTED_FORMAT),
  base: identitySchema,
  inputDimensions: z.number().int().positive(),
  pcaComponents: z.number().int().positive(),
  anchorCount: z.number().int().positive(),
  seeds: z.number().int().positive(),
  gamma: z.number().nonnegative(),
  ownWeight: z.number().min(0).max(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  adaptedAt: z.string(),
  /** Catalog images it was fitted on. */
  examples: z.number().int().nonnegative(),
  /** Recipe and measurements, for the record. */
  fitting: z.record(z.string(), z.union([z.number(), z.string()])),
}).refine((m) => m.seeds <= m.anchorCount, { message: 'seeds must not exceed anchorCount' });

export type AdaptedManifest = z.infer<typeof manifestSchema>;

export function adaptedDir(dataDir: string): string {
  return path.join(dataDir, ADAPTED_DIR);
}

function folderOf(dataDir: string): WeightsFolder {
  const dir = adaptedDir(dataDir);
  return {
    dir, manifestFile: ADAPTED_MANIFEST_FILE, weightsFile: ADAPTED_WEIGHTS_FILE,
    corrupt: (why, cause) =>
      new AppError('ADAPTATION_CORRUPT', `catalog adaptation in ${dir}: ${why}; adapt again (shoplens adapt) or go back to the base extractor (shoplens adapt --reset)`, {
        details: { dir }, ...(cause === undefined ? {} : { cause }),
      }),
  };
}

function lengthsOf(m: Pick<AdaptationModel, 'inputDimensions' | 'pcaComponents' | 'anchorCount'>): number[] {
  return [m.inputDimensions, m.inputDimensions * m.pcaComponents, m.anchorCount * m.pcaComponents];
}

/** Writes the adaptation of `base` into <dataDir>/adapted/; returns the manifest written. */
export async function saveAdaptation(
  dataDir: string, model: AdaptationModel, meta: Pick<AdaptedManifest, 'base' | 'examples' | 'fitting'>,
): Promise<AdaptedManifest> {
  return saveWeightsFolder<AdaptedManifest>(folderOf(dataDir), [model.mean, model.whiten, model.anchors], lengthsOf(model), {
    format: ADAPTED_FORMAT,
    base: { ...meta.base },
    inputDimensions: model.inputDimensions,
    pcaComponents: model.pcaComponents,
    anchorCount: model.anchorCount,
    seeds: model.seeds,
    gamma: model.gamma,
    ownWeight: model.ownWeight,
    adaptedAt: new Date().toISOString(),
    examples: meta.examples,
    fitting: meta.fitting,
  });
}

/** The adaptation in <dataDir>/adapted/: null when there is none; AppError ADAPTATION_CORRUPT when unusable. */
export async function loadAdaptation(dataDir: string): Promise<{ manifest: AdaptedManifest; model: AdaptationModel } | null> {
  const loaded = await loadWeightsFolder(folderOf(dataDir), manifestSchema, lengthsOf);
  if (!loaded) return null;
  const { manifest, arrays } = loaded;
  const [mean, whiten, anchors] = arrays as [Float32Array, Float32Array, Float32Array];
  const { inputDimensions, pcaComponents, anchorCount, seeds, gamma, ownWeight } = manifest;
  return { manifest, model: { inputDimensions, pcaComponents, anchorCount, seeds, gamma, ownWeight, mean, whiten, anchors } };
}

/** Removes the adaptation (back to the base extractor); true when there was one. */
export async function removeAdaptation(dataDir: string): Promise<boolean> {
  return removeWeightsFolder(folderOf(dataDir));
}

/** The identity of base + adaptation: a new fit (new checksum) gives a new identity. */
export function adaptedIdentity(base: ExtractorIdentity, manifest: AdaptedManifest): ExtractorIdentity {
  const tag = manifest.sha256.slice(0, 16);
  return {
    name: `${base.name}-adapted`,
    version: `${base.version}+${tag}`,
    dimensions: adaptedDimensions(manifest),
    metric: 'cosine',
    preprocessing: `${base.preprocessing}; catalog adaptation ${tag} (PCA ${manifest.pcaComponents}, partial whitening, ${manifest.anchorCount} diffused anchors, top ${manifest.seeds}, own weight ${manifest.ownWeight})`,
  };
}
