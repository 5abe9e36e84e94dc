import { AppError } from '../../domain/errors.js';
import type { RgbImage } from '../../imaging/types.js';
import { identityKey, type ExtractorIdentity, type FeatureExtractor } from '../feature-extractor.js';
import { applyProjection, type ProjectionModel } from './projection.js';
import { loadProjection, trainedIdentity, type TrainedManifest } from './projection-file.js';

/**
 * The base extractor with a catalog-trained projection on top. The catalog store keeps the base
 * vectors (so training again, or going back, never needs the original images); the index and
 * every query live in the projected space, under this extractor's own identity.
 */
export class TrainedExtractor implements FeatureExtractor {
  readonly identity: ExtractorIdentity;

  constructor(
    readonly base: FeatureExtractor,
    readonly model: ProjectionModel,
    readonly manifest: TrainedManifest,
  ) {
    if (identityKey(manifest.base) !== identityKey(base.identity) || model.inputDimensions !== base.identity.dimensions) {
      throw new AppError(
        'TRAINED_MODEL_MISMATCH',
        `the trained projection was made for extractor ${identityKey(manifest.base)}, but ${identityKey(base.identity)} is configured; ` +
          'train again (shoplens train) or go back to the base extractor (shoplens train --reset)',
        { details: { trainedFor: identityKey(manifest.base), configured: identityKey(base.identity) } },
      );
    }
    this.identity = trainedIdentity(base.identity, manifest);
  }

  /** The base decides how much of a query it looks at. */
  get queryDecodeSide(): number | undefined {
    return this.base.queryDecodeSide;
  }

  /** The same projection over another extractor with the same identity (e.g. a worker-thread pool of the base). */
  withBase(base: FeatureExtractor): TrainedExtractor {
    return base === this.base ? this : new TrainedExtractor(base, this.model, this.manifest);
  }

  async extract(image: RgbImage): Promise<Float32Array> {
    return this.project(await this.base.extract(image));
  }

  /** One base vector into the projected space. */
  async project(vector: Float32Array): Promise<Float32Array> {
    return applyProjection(this.model, vector, 1);
  }

  /** Many base vectors (each base-dimensional) into the projected space. */
  async projectAll(vectors: Float32Array[]): Promise<Float32Array[]> {
    if (vectors.length === 0) return [];
    const d = this.model.inputDimensions;
    const flat = new Float32Array(vectors.length * d);
    vectors.forEach((v, i) => flat.set(v, i * d));
    const out = await applyProjection(this.model, flat, vectors.length);
    const e = this.model.outputDimensions;
    return vectors.map((_, i) => out.slice(i * e, (i + 1) * e));
  }
}

/** The trained extractor for `base` if <dataDir>/trained holds a projection, else null. */
export async function openTrainedExtractor(dataDir: string, base: FeatureExtractor): Promise<TrainedExtractor | null> {
  const loaded = await loadProjection(dataDir);
  return loaded ? new TrainedExtractor(base, loaded.model, loaded.manifest) : null;
}
