import type { RgbImage } from '../imaging/types.js';
import type { AppError } from '../domain/errors.js';
import { identityKey, type ExtractorIdentity, type FeatureExtractor } from './feature-extractor.js';

/**
 * A base extractor with a catalog-fitted map on top (the trained projection, the label-free
 * adaptation). The catalog store keeps the base vectors (so fitting again, or going back, never
 * needs the original images); the index and every query live in the mapped space, under the
 * subclass's own identity.
 */
export abstract class ProjectedExtractor implements FeatureExtractor {
  abstract readonly identity: ExtractorIdentity;

  /**
   * @param fittedFor the base extractor the map was fitted on; any other base is refused with
   *   `mismatch(fittedFor, configured)` (vectors from another extractor mean nothing to the map).
   */
  constructor(
    readonly base: FeatureExtractor,
    /** Base vector length the map takes, and the length it gives. */
    readonly inputDimensions: number,
    readonly outputDimensions: number,
    fittedFor: ExtractorIdentity,
    mismatch: (fittedFor: string, configured: string) => AppError,
  ) {
    if (identityKey(fittedFor) !== identityKey(base.identity) || inputDimensions !== base.identity.dimensions) {
      throw mismatch(identityKey(fittedFor), identityKey(base.identity));
    }
  }

  /** The base decides how much of a query it looks at. */
  get queryDecodeSide(): number | undefined {
    return this.base.queryDecodeSide;
  }

  /** The same map over another extractor with the same identity (e.g. a worker-thread pool of the base). */
  abstract withBase(base: FeatureExtractor): ProjectedExtractor;

  /** `count` base vectors (count × inputDimensions, row-major) to count × outputDimensions. */
  protected abstract apply(vectors: Float32Array, count: number): Promise<Float32Array>;

  async extract(image: RgbImage): Promise<Float32Array> {
    return this.project(await this.base.extract(image));
  }

  /** One base vector into the mapped space. */
  async project(vector: Float32Array): Promise<Float32Array> {
    return this.apply(vector, 1);
  }

  /** Many base vectors (each base-dimensional) into the mapped space. */
  async projectAll(vectors: Float32Array[]): Promise<Float32Array[]> {
    if (vectors.length === 0) return [];
    const d = this.inputDimensions;
    const flat = new Float32Array(vectors.length * d);
    vectors.forEach((v, i) => flat.set(v, i * d));
    const out = await this.apply(flat, vectors.length);
    const e = this.outputDimensions;
    return vectors.map((_, i) => out.slice(i * e, (i + 1) * e));
  }
}
