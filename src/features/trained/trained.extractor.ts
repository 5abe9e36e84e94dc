import { AppError } from '../../domain/errors.js';
import type { ExtractorIdentity, FeatureExtractor } from '../feature-extractor.js';
import { ProjectedExtractor } from '../projected.extractor.js';
import { applyProjection, type ProjectionModel } from './projection.js';
import { loadProjection, trainedIdentity, type TrainedManifest } from './projection-file.js';

/** The base extractor with a catalog-trained projection (shoplens train) on top. */
export class TrainedExtractor extends ProjectedExtractor {
  readonly identity: ExtractorIdentity;

  constructor(
    base: FeatureExtractor,
    readonly model: ProjectionModel,
    readonly manifest: TrainedManifest,
  ) {
    super(base, model.inputDimensions, model.outputDimensions, manifest.base, (fittedFor, configured) => new AppError(
      'TRAINED_MODEL_MISMATCH',
      `the trained projection was made for extractor ${fittedFor}, but ${configured} is configured; train again (shoplens train) or go back to the base extractor (shoplens train --reset)`,
      { details: { trainedFor: fittedFor, configured } },
    ));
    this.identity = trainedIdentity(base.identity, manifest);
  }

  withBase(base: FeatureExtractor): TrainedExtractor {
    return base === this.base ? this : new TrainedExtractor(base, this.model, this.manifest);
  }

  protected apply(vectors: Float32Array, count: number): Promise<Float32Array> {
    return applyProjection(this.model, vectors, count);
  }
}

/** The trained extractor for `base` if <dataDir>/trained holds a projection, else null. */
export async function openTrainedExtractor(dataDir: string, base: FeatureExtractor): Promise<TrainedExtractor | null> {
  const loaded = await loadProjection(dataDir);
  return loaded ? new TrainedExtractor(base, loaded.model, loaded.manifest) : null;
}
