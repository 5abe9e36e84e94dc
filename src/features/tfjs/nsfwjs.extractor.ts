import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../domain/errors.js';
import { mobileNetV2Bundle } from './nsfwjs-bundle.js';
import { tensorflow } from './tensorflow.js';
import { l2normalize } from '../../domain/vector.js';
import { fitSquare } from '../../imaging/index.js';
import type { RgbImage } from '../../imaging/index.js';
import type { ExtractorIdentity, FeatureExtractor } from '../feature-extractor.js';

/**
 * A real CNN that ships with npm: the MobileNetV2 backbone bundled in nsfwjs 4.3.0 (MIT; fine-tuned
 * by its authors for a 5-class content classifier), run by TensorFlow.js on its WASM backend, so
 * nothing is downloaded and no native binary is needed. The vector is the 1280-d global average of
 * the last convolutional block (the layer feeding nsfwjs's classifier head), L2-normalised.
 */

const INPUT_SIDE = 224;
const EMBEDDING_LAYER = 'flatten_1';

export class NsfwjsMobileNetExtractor implements FeatureExtractor {
  readonly identity: ExtractorIdentity = {
    name: 'nsfwjs-mobilenet-v2',
    version: '1',
    dimensions: 1280,
    metric: 'cosine',
    preprocessing: `rgb contain-white ${INPUT_SIDE}x${INPUT_SIDE}; /255; nsfwjs 4.3.0 MobileNetV2 ${EMBEDDING_LAYER}; tfjs wasm; l2`,
  };

  private constructor(private readonly model: tf.LayersModel) {}

  /** Loads the bundled weights (about 1 s); throws MODEL_LOAD_FAILED when tfjs or the bundle fails. */
  static async create(): Promise<NsfwjsMobileNetExtractor> {
    try {
      await tensorflow();
      const full = await tf.loadLayersModel(tf.io.fromMemory((await mobileNetV2Bundle()) as tf.io.ModelArtifacts));
      const embedding = tf.model({ inputs: full.inputs, outputs: full.getLayer(EMBEDDING_LAYER).output as tf.SymbolicTensor });
      return new NsfwjsMobileNetExtractor(embedding);
    } catch (err: unknown) {
      throw new AppError('MODEL_LOAD_FAILED', `could not load the nsfwjs MobileNetV2 backbone: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  extract(image: RgbImage): Promise<Float32Array> {
    return Promise.resolve(image).then((img) => this.extractSync(img));
  }

  /** One image, synchronously (the WASM backend runs on the calling thread). */
  extractSync(image: RgbImage): Float32Array {
    return this.extractBatch([image])[0]!;
  }

  /** Vectors for several images in one forward pass. */
  extractBatch(images: readonly RgbImage[]): Float32Array[] {
    const n = images.length;
    if (n === 0) return [];
    const input = new Float32Array(n * INPUT_SIDE * INPUT_SIDE * 3);
    images.forEach((img, i) => {
      const sq = fitSquare(img, INPUT_SIDE).data;
      const off = i * INPUT_SIDE * INPUT_SIDE * 3;
      for (let k = 0; k < sq.length; k++) input[off + k] = sq[k]! / 255;
    });
    const out = tf.tidy(() => this.model.predict(tf.tensor4d(input, [n, INPUT_SIDE, INPUT_SIDE, 3])) as tf.Tensor);
    const flat = out.dataSync() as Float32Array;
    out.dispose();
    const d = this.identity.dimensions;
    return images.map((_, i) => l2normalize(flat.slice(i * d, (i + 1) * d)));
  }

  dispose(): void {
    this.model.dispose();
  }
}
