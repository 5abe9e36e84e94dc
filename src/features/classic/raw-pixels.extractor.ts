import { l2normalize } from '../../domain/vector.js';
import { resample, toGray } from '../../imaging/index.js';
import type { RgbImage } from '../../imaging/index.js';
import type { ExtractorIdentity, FeatureExtractor } from '../feature-extractor.js';

/**
 * Reference baseline, not for production: grey, stretched to side×side, flattened, L2-normalised.
 * Every other extractor is judged by how much it beats this one.
 */
export class RawPixelsExtractor implements FeatureExtractor {
  readonly identity: ExtractorIdentity;

  constructor(private readonly side = 32) {
    this.identity = {
      name: 'raw-pixels',
      version: '1',
      dimensions: side * side,
      metric: 'cosine',
      preprocessing: `gray bt601; fill ${side}x${side}; /255; l2`,
    };
  }

  extract(image: RgbImage): Promise<Float32Array> {
    return Promise.resolve(image).then((img) => this.extractSync(img));
  }

  extractSync(image: RgbImage): Float32Array {
    const small = resample(toGray(image), this.side, this.side);
    const v = new Float32Array(small.data.length);
    for (let i = 0; i < v.length; i++) v[i] = small.data[i]! / 255;
    return l2normalize(v);
  }
}
