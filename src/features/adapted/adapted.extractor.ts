import { AppError } from '../../domain/errors.js';
import type { ExtractorIdentity, FeatureExtractor } from '../feature-extractor.js';
import { ProjectedExtractor } from '../projected.extractor.js';
import { adaptedDimensions, applyAdaptation, type AdaptationModel } from './adaptation.js';
import { adaptedIdentity, loadAdaptation, type AdaptedManifest } from './adaptation-file.js';

/** The base extractor adapted to the catalog without labels (shoplens adapt). */
export class AdaptedExtractor extends ProjectedExtractor {
  readonly identity: ExtractorIdentity;

  constructor(
    base: FeatureExtractor,
    readonly model: AdaptationModel,
    readonly manifest: AdaptedManifest,
  ) {
    super(base, model.inputDimensions, adaptedDimensions(model), manifest.base, (fittedFor, configured) => new AppError(
      'ADAPTATION_MISMATCH',
      `the catalog adaptation was fitted for extractor ${fittedFor}, but ${configured} is configured; adapt again (shoplens adapt) or go back to the base extractor (shoplens adapt --reset)`,
      { details: { adaptedFor: fittedFor, configured } },
    ));
    this.identity = adaptedIdentity(base.identity, manifest);
  }

  withBase(base: FeatureExtractor): AdaptedExtractor {
    return base === this.base ? this : new AdaptedExtractor(base, this.model, this.manifest);
  }

  protected apply(vectors: Float32Array, count: number): Promise<Float32Array> {
    return applyAdaptation(this.model, vectors, count);
  }
}

/** The adapted extractor for `base` if <dataDir>/adapted holds an adaptation, else null. */
export async function openAdaptedExtractor(dataDir: string, base: FeatureExtractor): Promise<AdaptedExtractor | null> {
  const loaded = await loadAdaptation(dataDir);
  return loaded ? new AdaptedExtractor(base, loaded.model, loaded.manifest) : null;
}
