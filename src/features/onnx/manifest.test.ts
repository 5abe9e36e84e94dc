import { describe, expect, it } from 'vitest';
import { BUILTIN_MANIFESTS } from './builtin-manifests.js';
import { describePreprocessing, manifestFiles, manifestHash, parseManifest, parseManifestJson } from './manifest.js';

const minimal = { name: 'm', dimensions: 4, image: { model: 'a.onnx', input: { name: 'x', width: 8, height: 8 }, output: { name: 'y' } } };

describe('model manifests', () => {
  it('the built-in manifests are valid (CLIP with a text tower, DINOv2, MobileNetV3)', () => {
    const ms = BUILTIN_MANIFESTS.map((m, i) => parseManifest(m, `#${i}`));
    expect(ms.map((m) => m.name)).toEqual(['clip-vit-b32', 'dinov2-small', 'mobilenetv3-large']);
    expect(ms[0]!.text?.contextLength).toBe(77);
    expect(manifestFiles(ms[0]!)).toEqual(['onnx/vision_model.onnx', 'onnx/text_model.onnx', 'tokenizer.json']);
    expect(ms[1]!.image.output.pooling).toBe('cls');
  });

  it('fills defaults and describes the preprocessing', () => {
    const m = parseManifest(minimal, 'test');
    expect(m.image.input).toMatchObject({ layout: 'NCHW', channelOrder: 'RGB', valueRange: '0-1', mean: [0, 0, 0], std: [1, 1, 1] });
    expect(m.metric).toBe('cosine');
    expect(describePreprocessing(m)).toBe('stretch8x8;NCHW;RGB;0-1;mean(0,0,0);std(1,1,1);y:none;l2');
  });

  it('the hash is stable across key order and changes with any preprocessing field', () => {
    const a = parseManifest(minimal, 'a');
    const b = parseManifest(JSON.parse(JSON.stringify({ image: minimal.image, dimensions: 4, name: 'm' })), 'b');
    expect(manifestHash(a)).toBe(manifestHash(b));
    const c = parseManifest({ ...minimal, image: { ...minimal.image, input: { ...minimal.image.input, std: [1, 1, 2] } } }, 'c');
    expect(manifestHash(c)).not.toBe(manifestHash(a));
    expect(manifestHash(parseManifest({ ...minimal, description: 'edited', verification: 'checked' }, 'd'))).toBe(manifestHash(a));
  });

  it('a bad manifest is one INVALID_MODEL_MANIFEST error listing every problem', () => {
    let err: unknown;
    try {
      parseManifest({ name: 'Bad Name', dimensions: 0, image: { model: '../x.onnx', input: { name: 'x', width: 8, height: 8, std: [1, 0, 1] }, output: { name: 'y', pooling: 'max' } } }, 'bad.json');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'INVALID_MODEL_MANIFEST' });
    const problems = (err as { details: { problems: string[] } }).details.problems.join('\n');
    for (const field of ['name', 'dimensions', 'image.model', 'image.input.std', 'image.output.pooling']) expect(problems).toContain(field);
    expect(() => parseManifestJson('{not json', 'x.json')).toThrow(expect.objectContaining({ code: 'INVALID_MODEL_MANIFEST' }));
    expect(() => parseManifest({ ...minimal, normalize: false }, 'n')).toThrow(/normalize/);
    expect(() => parseManifest({ ...minimal, image: { ...minimal.image, output: { name: 'y', pooling: 'eos' } } }, 'e')).toThrow(/text towers/);
  });
});
