import { MobileNetV2Model } from 'nsfwjs/models/mobilenet_v2';

/**
 * The MobileNetV2 model nsfwjs 4.3.0 bundles as JS modules (its Keras topology and base64 weight
 * shards), read without TensorFlow.js: the nsfwjs extractor hands it to tfjs, the lookup's
 * feature-map trunk (features/onnx/mobilenet-trunk.ts) turns its first blocks into an ONNX graph.
 */

interface BundledModel {
  modelJson: () => Promise<{ default: { modelTopology: object; weightsManifest: { paths: string[]; weights: WeightSpec[] }[] } }>;
  /** One loader per shard `group1-shard<i>of<n>`, each resolving to the shard's bytes in base64. */
  weightBundles: (() => Promise<{ default: string }>)[];
}

/** A weight's entry in a tfjs weights manifest (tf.io.WeightsManifestEntry, without importing tfjs). */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}

export interface ModelBundle {
  modelTopology: object;
  weightSpecs: WeightSpec[];
  /** The shards' bytes, concatenated in manifest order. */
  weightData: ArrayBuffer;
}

/** The bundled MobileNetV2's topology and weights. */
export async function mobileNetV2Bundle(): Promise<ModelBundle> {
  const model = MobileNetV2Model as unknown as BundledModel;
  const json = (await model.modelJson()).default;
  const shards: Record<string, string> = {};
  const n = model.weightBundles.length;
  for (let i = 0; i < n; i++) shards[`group1-shard${i + 1}of${n}`] = (await model.weightBundles[i]!()).default;
  const weightSpecs: WeightSpec[] = [];
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const b64 = shards[p];
      if (b64 === undefined) throw new Error(`weight shard ${p} missing from the nsfwjs bundle`);
      parts.push(Buffer.from(b64, 'base64'));
    }
    weightSpecs.push(...group.weights);
  }
  const all = Buffer.concat(parts);
  return { modelTopology: json.modelTopology, weightSpecs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) };
}

/**
 * The bundle's weights as float32 arrays by name: quantised weights (uint8 / uint16, as nsfwjs ships
 * them) restored as tfjs does, min + scale × q.
 */
export function decodeWeights(bundle: ModelBundle): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const spec of bundle.weightSpecs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    const values = new Float32Array(size);
    if (q) {
      const bytes = q.dtype === 'uint8' ? 1 : q.dtype === 'uint16' ? 2 : 0;
      if (bytes === 0 || q.min === undefined || q.scale === undefined) throw new Error(`weight ${spec.name}: unsupported quantisation ${q.dtype}`);
      const raw = bytes === 1 ? new Uint8Array(bundle.weightData, offset, size) : new Uint16Array(bundle.weightData.slice(offset, offset + 2 * size));
      for (let i = 0; i < size; i++) values[i] = q.min + q.scale * raw[i]!;
      offset += bytes * size;
    } else {
      if (spec.dtype !== 'float32') throw new Error(`weight ${spec.name}: unsupported dtype ${spec.dtype}`);
      values.set(new Float32Array(bundle.weightData.slice(offset, offset + 4 * size)));
      offset += 4 * size;
    }
    out.set(spec.name, { shape: spec.shape, values });
  }
  return out;
}
