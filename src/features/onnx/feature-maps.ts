import type { RgbImage } from '../../imaging/types.js';
import { mobileNetV2Trunk, TRUNK_LAYER, TRUNK_STRIDE } from './mobilenet-trunk.js';
import { FLOAT, int, model, node, valueInfo } from './onnx-graph.js';
import { OnnxSession } from './onnx-session.js';

/** A feature map: `rows` × `columns` cells of `channels` values each, cell after cell, every cell of unit length. */
export interface FeatureMap {
  data: Float32Array;
  rows: number;
  columns: number;
  channels: number;
}

/**
 * Mid-level CNN feature maps of images (the bundled MobileNetV2's trunk, mobilenet-trunk.ts) and the
 * cosines between their cells, both on onnxruntime. A cell describes an 8 × 8 px patch in its
 * context; its unit length makes the dot product of two cells their cosine.
 */
export class FeatureMapModel {
  readonly stride = TRUNK_STRIDE;

  private constructor(
    private readonly trunk: OnnxSession,
    private readonly cosine: OnnxSession,
  ) {}

  /** Builds the trunk from the nsfwjs package (~0.3 s) and opens both graphs. */
  static async create(threads = 1): Promise<FeatureMapModel> {
    const trunk = await OnnxSession.fromBytes(await mobileNetV2Trunk(TRUNK_LAYER, true), `nsfwjs MobileNetV2 ${TRUNK_LAYER}`, { threads });
    const cosine = await OnnxSession.fromBytes(cosineGraph(), 'cell cosines', { threads });
    return new FeatureMapModel(trunk, cosine);
  }

  /** The image's feature map (rows and columns: its height and width over the stride, rounded up). */
  async map(image: RgbImage): Promise<FeatureMap> {
    return (await this.maps([image]))[0]!;
  }

  /** Feature maps of images of one size, in one pass. */
  async maps(images: readonly RgbImage[]): Promise<FeatureMap[]> {
    if (images.length === 0) return [];
    const { width: w, height: h } = images[0]!;
    const plane = w * h;
    const chw = new Float32Array(3 * plane * images.length);
    images.forEach((image, b) => {
      if (image.width !== w || image.height !== h) throw new Error('feature maps of one pass need images of one size');
      const d = image.data, at = 3 * plane * b;
      for (let i = 0; i < plane; i++) {
        chw[at + i] = d[3 * i]! / 255;
        chw[at + plane + i] = d[3 * i + 1]! / 255;
        chw[at + 2 * plane + i] = d[3 * i + 2]! / 255;
      }
    });
    const out = await this.trunk.run({ input: { type: 'float32', data: chw, dims: [images.length, 3, h, w] } }, this.trunk.outputNames[0]!);
    const [, rows, columns, channels] = out.dims as [number, number, number, number];
    const size = rows * columns * channels;
    return images.map((_, b) => ({ data: out.data.slice(b * size, (b + 1) * size), rows, columns, channels }));
  }

  /** Cosines between each of the `n` cells in `cells` (n × channels) and every cell of `map`: `n` rows of the map's cells. */
  async cosines(map: FeatureMap, cells: Float32Array, n: number): Promise<Float32Array> {
    const m = map.rows * map.columns;
    const out = await this.cosine.run({
      a: { type: 'float32', data: cells, dims: [n, map.channels] },
      b: { type: 'float32', data: map.data, dims: [m, map.channels] },
    }, 'cosines');
    return out.data;
  }

  async close(): Promise<void> {
    await Promise.all([this.trunk.close(), this.cosine.close()]);
  }
}

/** a [n, k] · b [m, k]ᵀ → cosines [n, m]. */
function cosineGraph(): Uint8Array {
  return model({
    name: 'cell-cosines',
    node: [node('Gemm', ['a', 'b'], ['cosines'], [int('transB', 1)])],
    input: [valueInfo('a', FLOAT, ['n', 'k']), valueInfo('b', FLOAT, ['m', 'k'])],
    output: [valueInfo('cosines', FLOAT, ['n', 'm'])],
  });
}
