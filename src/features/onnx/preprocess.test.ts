import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../imaging/types.js';
import { parseManifest, type ImageTower } from './manifest.js';
import { imageBatchTensor, poolOutput } from './preprocess.js';

function image(width: number, height: number, pixels: number[][]): RgbImage {
  return { data: Buffer.from(pixels.flat()), width, height, channels: 3 };
}

function tower(input: Record<string, unknown>, resize?: { shortestSide: number }): ImageTower {
  return parseManifest(
    { name: 't', dimensions: 3, image: { model: 'm.onnx', input: { name: 'x', ...input }, ...(resize ? { resize } : {}), output: { name: 'y' } } },
    'test',
  ).image;
}

// 3×2 image: row 0 black, red, green; row 1 blue, white, (51,102,204).
const IMG = image(3, 2, [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [51, 102, 204]]);

describe('ONNX image preprocessing (golden values, computed by hand)', () => {
  it('shortest side + centre crop, 0-1 range, mean/std 0.5, NCHW RGB', () => {
    // Shortest side 2 keeps 3×2; the centre 2×2 crop starts at column floor(1/2) = 0. v = 2p/255 − 1.
    const t = imageBatchTensor([IMG], tower({ width: 2, height: 2, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, { shortestSide: 2 }));
    expect(t.dims).toEqual([1, 3, 2, 2]);
    expect([...t.data]).toEqual([-1, 1, -1, 1, /* G */ -1, -1, -1, 1, /* B */ -1, -1, 1, 1]);
  });

  it('BGR channel order in NHWC layout', () => {
    const t = imageBatchTensor([IMG], tower({ width: 2, height: 2, layout: 'NHWC', channelOrder: 'BGR', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, { shortestSide: 2 }));
    expect(t.dims).toEqual([1, 2, 2, 3]);
    expect([...t.data]).toEqual([-1, -1, -1, /* red */ -1, -1, 1, /* blue */ 1, -1, -1, /* white */ 1, 1, 1]);
  });

  it('0-255 value range with per-channel mean/std', () => {
    const t = imageBatchTensor([IMG], tower({ width: 2, height: 2, valueRange: '0-255', mean: [100, 50, 0], std: [2, 1, 1] }, { shortestSide: 2 }));
    expect([...t.data]).toEqual([-50, 77.5, -50, 77.5, /* G */ -50, -50, -50, 205, /* B */ 0, 0, 255, 255]);
  });

  it('stretches to the input size when the manifest has no resize (4×4 quadrants → 2×2)', () => {
    const q = (x: number, y: number) => (y < 2 ? (x < 2 ? [255, 0, 0] : [0, 255, 0]) : x < 2 ? [0, 0, 255] : [255, 255, 255]);
    const px: number[][] = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) px.push(q(x, y));
    const t = imageBatchTensor([image(4, 4, px), image(4, 4, px)], tower({ width: 2, height: 2 }));
    expect(t.dims).toEqual([2, 3, 2, 2]);
    const one = [1, 0, 0, 1, /* G */ 0, 1, 0, 1, /* B */ 0, 0, 1, 1];
    expect([...t.data]).toEqual([...one, ...one]);
  });

  it('downscales by the shortest side before cropping (4×2 → 2×1 → centre 1×1)', () => {
    // Left 2×2 block has red 0, 100, 200, 100 → box average 100; the crop keeps the left column.
    const t = imageBatchTensor(
      [image(4, 2, [[0, 0, 0], [100, 0, 0], [255, 0, 0], [255, 0, 0], [200, 0, 0], [100, 0, 0], [255, 0, 0], [255, 0, 0]])],
      tower({ width: 1, height: 1, valueRange: '0-255' }, { shortestSide: 1 }),
    );
    expect([...t.data]).toEqual([100, 0, 0]);
  });
});

describe('pooling of model outputs', () => {
  it('none / cls / mean / gap / eos, with and without L2 normalisation', () => {
    expect(poolOutput(new Float32Array([3, 4, 0, 0]), [2, 2], 'none', true).map((v) => [...v])).toEqual([[0.6000000238418579, 0.800000011920929], [0, 0]]);
    const tokens = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect([...poolOutput(tokens, [1, 3, 2], 'cls', false)[0]!]).toEqual([1, 2]);
    expect([...poolOutput(tokens, [1, 3, 2], 'mean', false)[0]!]).toEqual([3, 4]);
    expect([...poolOutput(tokens, [1, 3, 2], 'eos', false, { data: [0, 9, 3], seq: 3 })[0]!]).toEqual([3, 4]);
    expect([...poolOutput(new Float32Array([1, 2, 3, 4, 10, 10, 10, 10]), [1, 2, 2, 2], 'gap', false)[0]!]).toEqual([2.5, 10]);
  });

  it('a shape that does not fit the pooling is a MODEL_MISMATCH', () => {
    expect(() => poolOutput(new Float32Array(6), [1, 3, 2], 'none', true)).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }));
    expect(() => poolOutput(new Float32Array(6), [1, 6], 'gap', true)).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }));
    expect(() => poolOutput(new Float32Array(6), [1, 3, 2], 'eos', true)).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }));
  });
});
