import { decodeWeights, mobileNetV2Bundle } from '../tfjs/nsfwjs-bundle.js';
import { FLOAT, floatTensor, int, ints, model, node, valueInfo } from './onnx-graph.js';

/**
 * The first blocks of the MobileNetV2 that nsfwjs bundles (ImageNet MobileNetV2 fine-tuned by the
 * nsfwjs authors, MIT), written as an ONNX graph for onnxruntime: batch normalisation folded into
 * the convolutions, ReLU6 as Clip, NCHW, input RGB in [0, 1] as nsfwjs feeds it. Nothing is
 * downloaded: the graph (~250 KB at block 6) is built from the npm package's weights when the
 * lookup opens. Its mid-level feature maps (stride 8) describe a product's parts robustly to blur,
 * light and JPEG, where corners (ORB) are few: the lookup's feature-map templates
 * (search/lookup/feature-templates.ts).
 */

/** The layer whose output the trunk returns: stride 8, 192 channels. */
export const TRUNK_LAYER = 'block_6_expand_relu';
export const TRUNK_STRIDE = 8;

/** Added to a cell's length before it is divided by it: a cell of zeros (ReLU6 on a flat area) stays zeros. */
const CELL_EPSILON = 1e-6;

interface KerasLayer {
  class_name: string;
  config: { name: string; kernel_size?: number[]; strides?: number[]; padding?: string | number[][]; epsilon?: number; max_value?: number };
  inbound_nodes?: [string, number, number, unknown][][];
}

/**
 * ONNX bytes of the bundled MobileNetV2 up to `layer` (a ReLU, Add or convolution's batch norm):
 * output [batch, channels, rows, columns], or with `cells`, [batch, rows, columns, channels] with
 * every cell scaled to unit length (its dot product with another cell is their cosine).
 */
export async function mobileNetV2Trunk(layer = TRUNK_LAYER, cells = false): Promise<Uint8Array> {
  const bundle = await mobileNetV2Bundle();
  const weights = decodeWeights(bundle);
  const layers = (bundle.modelTopology as { model_config: { config: { layers: KerasLayer[] } } }).model_config.config.layers;
  const last = layers.findIndex((l) => l.config.name === layer);
  if (last < 0) throw new Error(`MobileNetV2 has no layer ${layer}`);
  const inputs = (l: KerasLayer): string[] => (l.inbound_nodes?.[0] ?? []).map((n) => n[0]);
  const weight = (name: string): Float32Array => {
    const w = weights.get(name);
    if (!w) throw new Error(`MobileNetV2 weight ${name} missing`);
    return w.values;
  };
  const nodes = [];
  const initializer = [floatTensor('relu6_min', [], new Float32Array([0])), floatTensor('relu6_max', [], new Float32Array([6]))];
  // Keras layer name → the ONNX tensor holding its output.
  const tensor = new Map<string, string>();
  // ZeroPadding2D layers: the padding the next convolution takes over (ONNX order: top, left, bottom, right).
  const padding = new Map<string, number[]>();
  const ofInput = (name: string): string => {
    const t = tensor.get(name);
    if (t === undefined) throw new Error(`MobileNetV2 layer ${name} not converted`);
    return t;
  };
  for (const l of layers.slice(0, last + 1)) {
    const name = l.config.name;
    const [from] = inputs(l);
    switch (l.class_name) {
      case 'InputLayer':
        tensor.set(name, 'input');
        break;
      case 'ZeroPadding2D': {
        const p = l.config.padding as number[][];
        padding.set(name, [p[0]![0]!, p[1]![0]!, p[0]![1]!, p[1]![1]!]);
        tensor.set(name, ofInput(from!));
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = l.class_name === 'DepthwiseConv2D';
        const [kh, kw] = l.config.kernel_size as [number, number];
        const kernel = weight(depthwise ? `${name}/depthwise_kernel` : `${name}/kernel`);
        const shape = weights.get(depthwise ? `${name}/depthwise_kernel` : `${name}/kernel`)!.shape; // [kh, kw, in, out] or [kh, kw, C, 1]
        const cin = shape[2]!, cout = depthwise ? cin : shape[3]!, per = depthwise ? 1 : cin;
        // The batch normalisation that reads this convolution, folded into its weights and a bias.
        const bn = layers.find((x) => x.class_name === 'BatchNormalization' && inputs(x)[0] === name);
        if (!bn) throw new Error(`MobileNetV2 convolution ${name} has no batch normalisation`);
        const b = bn.config.name;
        const gamma = weight(`${b}/gamma`), beta = weight(`${b}/beta`), mean = weight(`${b}/moving_mean`), variance = weight(`${b}/moving_variance`);
        const eps = bn.config.epsilon ?? 1e-3;
        const W = new Float32Array(cout * per * kh * kw), B = new Float32Array(cout);
        for (let o = 0; o < cout; o++) {
          const s = gamma[o]! / Math.sqrt(variance[o]! + eps);
          B[o] = beta[o]! - mean[o]! * s;
          for (let i = 0; i < per; i++) {
            for (let y = 0; y < kh; y++) {
              for (let x = 0; x < kw; x++) {
                const k = depthwise ? ((y * kw + x) * cin + o) : (((y * kw + x) * cin + i) * cout + o);
                W[((o * per + i) * kh + y) * kw + x] = kernel[k]! * s;
              }
            }
          }
        }
        initializer.push(floatTensor(`${name}.W`, [cout, per, kh, kw], W), floatTensor(`${name}.B`, [cout], B));
        const pads = padding.get(from!) ?? (l.config.padding === 'same' ? [(kh - 1) >> 1, (kw - 1) >> 1, kh >> 1, kw >> 1] : [0, 0, 0, 0]);
        const attrs = [ints('kernel_shape', [kh, kw]), ints('strides', l.config.strides ?? [1, 1]), ints('pads', pads)];
        if (depthwise) attrs.push(int('group', cout));
        nodes.push(node('Conv', [ofInput(from!), `${name}.W`, `${name}.B`], [name], attrs));
        tensor.set(name, name);
        tensor.set(b, name);
        break;
      }
      case 'BatchNormalization':
        break; // folded into its convolution
      case 'ReLU':
        if (l.config.max_value !== 6) throw new Error(`MobileNetV2 ReLU ${name}: max ${l.config.max_value}, expected 6`);
        nodes.push(node('Clip', [ofInput(from!), 'relu6_min', 'relu6_max'], [name]));
        tensor.set(name, name);
        break;
      case 'Add':
        nodes.push(node('Add', inputs(l).map(ofInput), [name]));
        tensor.set(name, name);
        break;
      default:
        throw new Error(`MobileNetV2 layer ${name}: ${l.class_name} not supported in the trunk`);
    }
  }
  let output = ofInput(layer);
  if (cells) {
    initializer.push(floatTensor('cell_eps', [], new Float32Array([CELL_EPSILON])));
    nodes.push(
      node('Transpose', [output], ['cells_raw'], [ints('perm', [0, 2, 3, 1])]),
      node('ReduceL2', ['cells_raw'], ['cells_norm'], [ints('axes', [3]), int('keepdims', 1)]),
      node('Add', ['cells_norm', 'cell_eps'], ['cells_norm_eps']),
      node('Div', ['cells_raw', 'cells_norm_eps'], ['cells']),
    );
    output = 'cells';
  }
  return model({
    name: `mobilenetv2-${layer}`,
    node: nodes,
    initializer,
    input: [valueInfo('input', FLOAT, ['batch', 3, 'height', 'width'])],
    output: [valueInfo(output, FLOAT, cells ? ['batch', 'rows', 'columns', 'channels'] : ['batch', 'channels', 'rows', 'columns'])],
  });
}
