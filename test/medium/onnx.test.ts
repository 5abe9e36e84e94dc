import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelStore } from '../../src/features/onnx/model-store.js';
import { OnnxImageExtractor } from '../../src/features/onnx/onnx-image.extractor.js';
import type { RgbImage } from '../../src/imaging/types.js';
import { installTinyClip, tinyTextEncoder, tinyTokenizerJson } from '../fixtures/onnx/tiny-models.js';
import { tempDir } from './shoplens.factory.js';

function solid(rgb: [number, number, number], width = 12, height = 9): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { data, width, height, channels: 3 };
}

const R3 = 1 / Math.sqrt(3);
let dir: string;
const open: OnnxImageExtractor[] = [];

beforeAll(async () => {
  dir = await tempDir('shoplens-onnx-');
});
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openModel(name: string, options = {}): Promise<OnnxImageExtractor> {
  const e = await OnnxImageExtractor.open(new ModelStore(dir), name, options);
  open.push(e);
  return e;
}

describe('OnnxImageExtractor on the tiny models (real onnxruntime sessions in worker threads)', () => {
  it('vectors match hand-computed values and the identity carries name, manifest hash and dimensions', async () => {
    await installTinyClip(dir, 'tiny');
    const e = await openModel('tiny');
    expect(e.identity).toMatchObject({ name: 'onnx:tiny', dimensions: 3, metric: 'cosine' });
    expect(e.identity.version).toMatch(/^[0-9a-f]{16}$/);
    // Red → normalised (1, −1, −1) → mean over pixels is the same → L2: (1, −1, −1)/√3.
    const red = await e.extract(solid([255, 0, 0]));
    [R3, -R3, -R3].forEach((v, i) => expect(red[i]).toBeCloseTo(v, 6));
    // (255, 255, 0): (1, 1, −1)/√3.
    const yellow = await e.extract(solid([255, 255, 0], 5, 7));
    [R3, R3, -R3].forEach((v, i) => expect(yellow[i]).toBeCloseTo(v, 6));
  });

  it('the identity changes with the preprocessing and with the model file, not with the description', async () => {
    const d = await installTinyClip(dir, 'tiny-id');
    const versionOf = async () => {
      const e = await OnnxImageExtractor.open(new ModelStore(dir), 'tiny-id');
      await e.close();
      return e.identity.version;
    };
    type Manifest = { description: string; image: { input: { std: number[] } } };
    const edit = async (change: (m: Manifest) => void) => {
      const m = JSON.parse(await readFile(path.join(d, 'manifest.json'), 'utf8')) as Manifest;
      change(m);
      await writeFile(path.join(d, 'manifest.json'), JSON.stringify(m));
    };
    const v1 = await versionOf();
    await edit((m) => void (m.description = 'a new description'));
    expect(await versionOf()).toBe(v1);
    await edit((m) => void (m.image.input.std = [0.25, 0.5, 0.5]));
    const v2 = await versionOf();
    expect(v2).not.toBe(v1);
    // New weights under the same manifest (a re-pulled moving revision): the file size differs.
    await writeFile(path.join(d, 'onnx', 'text_model.onnx'), tinyTextEncoder({ ...tinyTokenizerJson().vocab, extra: 600 }));
    expect(await versionOf()).not.toBe(v2);
  });

  it('batches concurrent requests and returns each caller its own vector', async () => {
    await installTinyClip(dir, 'tiny-batch');
    const e = await openModel('tiny-batch', { workers: 2, threadsPerWorker: 1, maxBatch: 8 });
    const colours: Array<[number, number, number]> = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? [255, 0, 0] : i % 3 === 1 ? [0, 255, 0] : [0, 0, 255]));
    const vectors = await Promise.all(colours.map((c) => e.extract(solid(c))));
    vectors.forEach((v, i) => expect(v.indexOf(Math.max(...v))).toBe(i % 3));
    expect(e.batchStats.items).toBe(30);
    expect(e.batchStats.batches).toBeLessThan(30);
    expect(e.batchStats.largestBatch).toBeGreaterThan(1);
    expect(e.batchStats.largestBatch).toBeLessThanOrEqual(8);
  });

  it('the text tower embeds a query in the image space', async () => {
    await installTinyClip(dir, 'tiny-text');
    const e = await openModel('tiny-text');
    expect([...(await e.text!.embed('RED shoes'))]).toEqual([1, 0, 0]);
    const gb = await e.text!.embed('green and blue');
    expect(gb[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(gb[2]).toBeCloseTo(Math.SQRT1_2, 6);
    await expect(e.text!.embed('   ')).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });

  it('a manifest whose dimensions disagree with the model output is a MODEL_MISMATCH', async () => {
    await installTinyClip(dir, 'tiny-dims', { dimensions: 4 });
    await expect(openModel('tiny-dims')).rejects.toMatchObject({ code: 'MODEL_MISMATCH', details: { declared: 4, actual: 3, tower: 'image' } });
  });

  it('a manifest naming an output the graph lacks is a MODEL_MISMATCH listing the real outputs', async () => {
    const d = await installTinyClip(dir, 'tiny-out');
    const m = JSON.parse(await readFile(path.join(d, 'manifest.json'), 'utf8'));
    m.image.output.name = 'pooler_output';
    await writeFile(path.join(d, 'manifest.json'), JSON.stringify(m));
    await expect(openModel('tiny-out')).rejects.toThrow(/no output "pooler_output" \(outputs: image_embeds\)/);
  });

  it('a missing model file names `shoplens models pull`; an unknown model is MODEL_NOT_FOUND; a bad manifest is INVALID_MODEL_MANIFEST', async () => {
    const d = await installTinyClip(dir, 'tiny-missing');
    await rm(path.join(d, 'onnx', 'vision_model.onnx'));
    await expect(openModel('tiny-missing')).rejects.toMatchObject({ code: 'MODEL_NOT_INSTALLED', message: expect.stringContaining('shoplens models pull tiny-missing') });
    await expect(openModel('no-such-model')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('clip-vit-b32') });
    const bad = await installTinyClip(dir, 'tiny-bad');
    await writeFile(path.join(bad, 'manifest.json'), JSON.stringify({ name: 'tiny-bad', dimensions: -1 }));
    await expect(openModel('tiny-bad')).rejects.toMatchObject({ code: 'INVALID_MODEL_MANIFEST' });
    // A built-in manifest that is not installed: not installed, and nothing is downloaded.
    await expect(openModel('clip-vit-b32')).rejects.toMatchObject({ code: 'MODEL_NOT_INSTALLED', message: expect.stringContaining('shoplens models pull clip-vit-b32') });
  });

  it('a corrupt model file is MODEL_LOAD_FAILED', async () => {
    const d = await installTinyClip(dir, 'tiny-corrupt');
    await writeFile(path.join(d, 'onnx', 'vision_model.onnx'), 'not a model');
    await expect(openModel('tiny-corrupt')).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });
});
