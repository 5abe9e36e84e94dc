import { AppError } from '../../domain/errors.js';
import { l2normalize } from '../../domain/vector.js';
import { resample } from '../../imaging/resample.js';
import type { RgbImage } from '../../imaging/types.js';
import type { ImageTower, Pooling } from './manifest.js';

/**
 * The one generic preprocessor for ONNX image towers: decoded RGB pixels → a model input tensor,
 * driven only by the manifest. Pure TypeScript on purpose (src/imaging/resample.ts): bit-exact
 * across platforms, so golden tests can pin values and an identity always means the same vectors.
 */

/** Resizes (shortest side, aspect kept) and centre-crops to the tower's input size; or stretches when the manifest has no `resize`. */
export function resizeForTower(image: RgbImage, tower: ImageTower): RgbImage {
  const { width: outW, height: outH } = tower.input;
  if (!tower.resize) return resample(image, outW, outH);
  const short = Math.min(image.width, image.height);
  // Never smaller than the crop: a shortest side below the input size would leave nothing to crop.
  const scale = Math.max(tower.resize.shortestSide / short, outW / image.width, outH / image.height);
  const w = Math.max(outW, Math.round(image.width * scale));
  const h = Math.max(outH, Math.round(image.height * scale));
  const resized = resample(image, w, h);
  return cropCenter(resized, outW, outH);
}

function cropCenter(img: RgbImage, w: number, h: number): RgbImage {
  if (img.width === w && img.height === h) return img;
  const left = Math.floor((img.width - w) / 2);
  const top = Math.floor((img.height - h) / 2);
  const out = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    const from = ((top + y) * img.width + left) * 3;
    img.data.copy(out, y * w * 3, from, from + w * 3);
  }
  return { data: out, width: w, height: h, channels: 3 };
}

/** Number of floats one image takes in the input tensor. */
export function tensorLength(tower: ImageTower): number {
  return tower.input.width * tower.input.height * 3;
}

/**
 * Writes one image's input tensor into `out` at `offset` (a batch is several images back to back).
 * mean/std are given in the model's channel order (after any RGB→BGR swap).
 */
export function writeImageTensor(image: RgbImage, tower: ImageTower, out: Float32Array, offset = 0): void {
  const px = resizeForTower(image, tower);
  const { width: w, height: h, layout, channelOrder, valueRange, mean, std } = tower.input;
  const scale = valueRange === '0-1' ? 1 / 255 : 1;
  const src = channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const plane = w * h;
  for (let c = 0; c < 3; c++) {
    const s = src[c]!;
    const m = mean[c]!, d = std[c]!;
    for (let i = 0; i < plane; i++) {
      const v = (px.data[i * 3 + s]! * scale - m) / d;
      out[offset + (layout === 'NCHW' ? c * plane + i : i * 3 + c)] = v;
    }
  }
}

/** Input tensor for a batch of images: [n, 3, h, w] (NCHW) or [n, h, w, 3] (NHWC). */
export function imageBatchTensor(images: RgbImage[], tower: ImageTower): { data: Float32Array; dims: number[] } {
  const len = tensorLength(tower);
  const data = new Float32Array(images.length * len);
  images.forEach((img, i) => writeImageTensor(img, tower, data, i * len));
  const { width: w, height: h, layout } = tower.input;
  return { data, dims: layout === 'NCHW' ? [images.length, 3, h, w] : [images.length, h, w, 3] };
}

/**
 * Turns a model output [batch, ...] into one vector per batch item, per the manifest's pooling.
 * `inputIds` (row-major [batch, seq]) is needed for "eos" pooling only.
 */
export function poolOutput(
  data: Float32Array,
  dims: readonly number[],
  pooling: Pooling,
  normalize: boolean,
  inputIds?: { data: ArrayLike<number | bigint>; seq: number },
): Float32Array[] {
  const batch = dims[0] ?? 0;
  const shapeError = (want: string) =>
    new AppError('MODEL_MISMATCH', `Model output of shape [${dims.join(', ')}] does not fit pooling "${pooling}" (expects ${want})`, {
      details: { dims: [...dims], pooling },
    });
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    let v: Float32Array;
    switch (pooling) {
      case 'none': {
        if (dims.length !== 2) throw shapeError('[batch, dims]');
        const d = dims[1]!;
        v = data.slice(b * d, (b + 1) * d);
        break;
      }
      case 'cls':
      case 'mean':
      case 'eos': {
        if (dims.length !== 3) throw shapeError('[batch, tokens, dims]');
        const [, t, d] = dims as [number, number, number];
        const base = b * t * d;
        if (pooling === 'mean') {
          v = new Float32Array(d);
          for (let k = 0; k < t; k++) for (let j = 0; j < d; j++) v[j]! += data[base + k * d + j]!;
          for (let j = 0; j < d; j++) v[j]! /= t;
        } else {
          const k = pooling === 'cls' ? 0 : eosPosition(inputIds, b, t);
          v = data.slice(base + k * d, base + (k + 1) * d);
        }
        break;
      }
      case 'gap': {
        if (dims.length !== 4) throw shapeError('[batch, channels, height, width]');
        const [, c, h, w] = dims as [number, number, number, number];
        const plane = h * w;
        v = new Float32Array(c);
        for (let j = 0; j < c; j++) {
          let s = 0;
          const base = (b * c + j) * plane;
          for (let i = 0; i < plane; i++) s += data[base + i]!;
          v[j] = s / plane;
        }
        break;
      }
    }
    out.push(normalize ? l2normalize(v) : v);
  }
  return out;
}

/** CLIP pools the text at its end-of-text token: the position of the largest id (first occurrence). */
function eosPosition(inputIds: { data: ArrayLike<number | bigint>; seq: number } | undefined, b: number, tokens: number): number {
  if (!inputIds || inputIds.seq !== tokens) {
    throw new AppError('MODEL_MISMATCH', '"eos" pooling needs the input ids and an output with one row per token');
  }
  let best = 0;
  let bestId = -Infinity;
  for (let k = 0; k < tokens; k++) {
    const id = Number(inputIds.data[b * tokens + k]);
    if (id > bestId) {
      bestId = id;
      best = k;
    }
  }
  return best;
}
