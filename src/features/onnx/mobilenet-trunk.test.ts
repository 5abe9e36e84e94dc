import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { decodeImage, resize } from '../../imaging/index.js';
import { mobileNetV2Bundle } from '../tfjs/nsfwjs-bundle.js';
import { tensorflow } from '../tfjs/tensorflow.js';
import { FeatureMapModel } from './feature-maps.js';
import { mobileNetV2Trunk, TRUNK_LAYER } from './mobilenet-trunk.js';
import { OnnxSession } from './onnx-session.js';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/images');

/** The bundled Keras model cut at `layer` and run by TensorFlow.js: the reference the ONNX trunk must reproduce. */
async function tfjsTrunk(layer: string): Promise<tf.LayersModel> {
  await tensorflow();
  const bundle = await mobileNetV2Bundle();
  const topology = structuredClone(bundle.modelTopology) as { model_config: { config: { layers: { config: { name: string; batch_input_shape?: unknown[] } }[]; output_layers: unknown[] } } };
  const config = topology.model_config.config;
  const last = config.layers.findIndex((l) => l.config.name === layer);
  config.layers = config.layers.slice(0, last + 1);
  config.layers[0]!.config.batch_input_shape = [null, null, null, 3];
  config.output_layers = [[layer, 0, 0]];
  return tf.loadLayersModel(tf.io.fromMemory({ ...bundle, modelTopology: topology } as tf.io.ModelArtifacts), { strict: false });
}

describe('MobileNetV2 trunk as ONNX (weights from the nsfwjs bundle)', () => {
  it('computes what TensorFlow.js computes with the bundled model, on a real photo', async () => {
    const photo = await resize(await decodeImage(await readFile(join(FIXTURES, 'page-photo.jpg'))), 96, 72);
    const reference = await tfjsTrunk(TRUNK_LAYER);
    const input = Float32Array.from(photo.data, (v) => v / 255);
    const expected = (reference.predict(tf.tensor4d(input, [1, 72, 96, 3])) as tf.Tensor).dataSync() as Float32Array; // NHWC
    reference.dispose();
    const session = await OnnxSession.fromBytes(await mobileNetV2Trunk(TRUNK_LAYER), 'trunk', { threads: 1 });
    const chw = new Float32Array(3 * 72 * 96);
    for (let i = 0; i < 72 * 96; i++) for (let c = 0; c < 3; c++) chw[c * 72 * 96 + i] = input[3 * i + c]!;
    const out = await session.run({ input: { type: 'float32', data: chw, dims: [1, 3, 72, 96] } }, session.outputNames[0]!);
    await session.close();
    expect(out.dims).toEqual([1, 192, 9, 12]); // stride 8
    let worst = 0, active = 0;
    for (let c = 0; c < 192; c++) {
      for (let i = 0; i < 9 * 12; i++) {
        const e = expected[i * 192 + c]!;
        worst = Math.max(worst, Math.abs(out.data[c * 9 * 12 + i]! - e));
        if (e > 0) active++;
      }
    }
    expect(worst).toBeLessThan(1e-3);
    // ReLU6 activations of a real photo: many are on.
    expect(active).toBeGreaterThan(0.2 * 192 * 9 * 12);
  }, 60_000);

  it('gives unit-length cells, alike for an image and its copy, unlike for another image', async () => {
    const model = await FeatureMapModel.create();
    const photo = await resize(await decodeImage(await readFile(join(FIXTURES, 'page-photo.jpg'))), 160, 120);
    const other = await resize(await decodeImage(await readFile(join(FIXTURES, 'checkerboard.png'))), 160, 120);
    const [a, b, c] = await model.maps([photo, photo, other]);
    await model.close();
    expect([a!.rows, a!.columns, a!.channels]).toEqual([15, 20, 192]);
    for (let i = 0; i < 15 * 20; i++) {
      let n = 0;
      for (let k = 0; k < 192; k++) n += a!.data[i * 192 + k]! ** 2;
      expect(n === 0 || Math.abs(n - 1) < 1e-4).toBe(true);
    }
    expect(Array.from(b!.data)).toEqual(Array.from(a!.data));
    let same = 0;
    for (let i = 0; i < a!.data.length; i++) same += a!.data[i]! * c!.data[i]!;
    expect(same / (15 * 20)).toBeLessThan(0.9);
  }, 60_000);
});
