/** Candidate feature blocks for explore.ts (exploration only; nothing here ships). */
import { readFileSync } from 'node:fs';
import { createDefaultExtractor } from '../../src/features/classic/default.extractor.js';
import { colorHistogram } from '../../src/features/classic/color-histogram.extractor.js';
import { hogDescriptor } from '../../src/features/classic/hog.extractor.js';
import { lbpHistogram } from '../../src/features/classic/lbp.extractor.js';
import { fitSquare, resample, toGray } from '../../src/imaging/index.js';
import type { RgbImage } from '../../src/imaging/index.js';

type Block = (img: RgbImage) => Float32Array;
const def = createDefaultExtractor() as unknown as { extractSync(i: RgbImage): Float32Array };

export const BLOCKS: Record<string, Block> = {
  cur: (img) => def.extractSync(img),
  color: (img) => colorHistogram(fitSquare(img, 128), { levels: [1, 2] }),
  lbp: (img) => lbpHistogram(toGray(fitSquare(img, 128)), { levels: [1, 2], tolerance: 3 }),
  hog: (img) => hogDescriptor(resample(toGray(fitSquare(img, 128)), 64, 64), { cellSize: 8, bins: 9, blockSize: 2, blockStride: 1, noiseFloor: 4 }),
  raw: (img) => Float32Array.from(toGray(img).data),
};

const g = (img: RgbImage, side: number) => (side === 128 ? toGray(fitSquare(img, 128)) : resample(toGray(fitSquare(img, 128)), side, side));
const ssqrt = (v: Float32Array) => { for (let i = 0; i < v.length; i++) v[i] = Math.sign(v[i]!) * Math.sqrt(Math.abs(v[i]!)); return v; };
const base = { blockSize: 2, blockStride: 1, noiseFloor: 4 };
BLOCKS['hog32c4'] = (img) => hogDescriptor(g(img, 32), { ...base, cellSize: 4, bins: 9 });
BLOCKS['hog64c16'] = (img) => hogDescriptor(g(img, 64), { ...base, cellSize: 16, bins: 9 });
BLOCKS['hog32c8'] = (img) => hogDescriptor(g(img, 32), { ...base, cellSize: 8, bins: 9 });
BLOCKS['hog64c8b18'] = (img) => hogDescriptor(g(img, 64), { ...base, cellSize: 8, bins: 18 });
BLOCKS['hogsq'] = (img) => ssqrt(hogDescriptor(g(img, 64), { ...base, cellSize: 8, bins: 9 }));
BLOCKS['hog48c6'] = (img) => hogDescriptor(g(img, 48), { ...base, cellSize: 6, bins: 9 });
BLOCKS['px14'] = (img) => Float32Array.from(resample(toGray(img), 14, 14).data);
BLOCKS['px7'] = (img) => Float32Array.from(resample(toGray(img), 7, 7).data);

interface Dict { side: number; patch: number; k: number; mean: number[]; whiten: number[][]; centroids: number[][] }
const dicts = new Map<string, { d: Dict; W: Float32Array; C: Float32Array; cn: Float32Array; m: Float32Array }>();
function loadDict(file: string) {
  let e = dicts.get(file);
  if (!e) {
    const d = JSON.parse(readFileSync(file, 'utf8')) as Dict;
    const D = d.patch * d.patch;
    const W = new Float32Array(D * D); d.whiten.forEach((r, i) => r.forEach((v, j) => { W[i * D + j] = v; }));
    const C = new Float32Array(d.k * D); const cn = new Float32Array(d.k);
    d.centroids.forEach((c, k) => { let s = 0; c.forEach((v, j) => { C[k * D + j] = v; s += v * v; }); cn[k] = s; });
    e = { d, W, C, cn, m: Float32Array.from(d.mean) };
    dicts.set(file, e);
  }
  return e;
}
/** Coates-Ng triangle encoding, sum-pooled on a grid×grid layout. */
export function patchCode(img: RgbImage, file: string, side: number, grid: number, opts: { stride?: number; sqrt?: boolean; bg?: boolean } = {}): Float32Array {
  const { d, W, C, cn, m } = loadDict(file);
  const P = d.patch, D = P * P, K = d.k, stride = opts.stride ?? 1;
  const gimg = toGray(fitSquare(img, side));
  const px = gimg.data;
  const n = Math.floor((side - P) / stride) + 1;
  const out = new Float32Array(grid * grid * K);
  const v = new Float32Array(D), w = new Float32Array(D), z = new Float32Array(K);
  for (let py = 0; py < n; py++) for (let pxi = 0; pxi < n; pxi++) {
    const y0 = py * stride, x0 = pxi * stride;
    let s = 0, ss = 0;
    for (let y = 0; y < P; y++) for (let x = 0; x < P; x++) { const a = px[(y0 + y) * side + x0 + x]!; v[y * P + x] = a; s += a; ss += a * a; }
    const mu = s / D, vr = ss / D - mu * mu, inv = 1 / Math.sqrt(vr + 10);
    for (let i = 0; i < D; i++) v[i] = (v[i]! - mu) * inv - m[i]!;
    let wn = 0;
    for (let i = 0; i < D; i++) { let a = 0; const o = i * D; for (let j = 0; j < D; j++) a += W[o + j]! * v[j]!; w[i] = a; wn += a * a; }
    let zm = 0;
    for (let k = 0; k < K; k++) { let a = 0; const o = k * D; for (let j = 0; j < D; j++) a += C[o + j]! * w[j]!; const dd = Math.sqrt(Math.max(0, wn - 2 * a + cn[k]!)); z[k] = dd; zm += dd; }
    zm /= K;
    const gy = Math.min(grid - 1, Math.floor(((y0 + P / 2) / side) * grid)), gx = Math.min(grid - 1, Math.floor(((x0 + P / 2) / side) * grid));
    const base = (gy * grid + gx) * K;
    for (let k = 0; k < K; k++) { const f = zm - z[k]!; if (f > 0) out[base + k]! += f; }
  }
  if (opts.sqrt) for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(out[i]!);
  return out;
}
// Written by learn-patch-dictionary.ts (see its header); override with PATCH_DICT.
const D256 = process.env['PATCH_DICT'] ?? '/tmp/dict-s32-p6-k256.json';
BLOCKS['pc32g2'] = (img) => patchCode(img, D256, 32, 2);
BLOCKS['pc32g3'] = (img) => patchCode(img, D256, 32, 3);
BLOCKS['pc32g2sq'] = (img) => patchCode(img, D256, 32, 2, { sqrt: true });
