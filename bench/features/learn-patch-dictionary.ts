/**
 * Prototype: learns a patch dictionary (Coates & Ng 2011) from openclipart PNGs.
 *   npx tsx bench/features/learn-patch-dictionary.ts --side 32 --patch 6 --k 256 --patches 100000 --images 3000 --out /tmp/dict.json
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { kmeans } from 'ml-kmeans';
import { decodeImage, fitSquare, toGray } from '../../src/imaging/index.js';

const { values } = parseArgs({ options: {
  side: { type: 'string', default: '32' }, patch: { type: 'string', default: '6' }, k: { type: 'string', default: '256' },
  patches: { type: 'string', default: '100000' }, images: { type: 'string', default: '3000' }, out: { type: 'string', default: '/tmp/dict.json' },
  root: { type: 'string', default: '/usr/share/openclipart/png' }, minstd: { type: 'string', default: '0' }, eps: { type: 'string', default: '0.1' },
} });
const side = Number(values.side), P = Number(values.patch), K = Number(values.k), NP = Number(values.patches), NI = Number(values.images);
const D = P * P;

function mulberry32(a: number) { return () => { a |= 0; a = (a + 0x6d2b79f5) | 0; let t = Math.imul(a ^ (a >>> 15), 1 | a); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; }
const rand = mulberry32(12345);

function listPngs(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) { const p = path.join(dir, e); if (statSync(p).isDirectory()) out.push(...listPngs(p)); else if (e.endsWith('.png')) out.push(p); }
  return out;
}
const files = listPngs(values.root!);
// deterministic sample of NI files
const picked: string[] = [];
const step = files.length / NI;
for (let i = 0; i < NI && Math.floor(i * step) < files.length; i++) picked.push(files[Math.floor(i * step)]!);
const perImage = Math.ceil(NP / picked.length);
const raw: Float64Array[] = [];
let done = 0;
for (const f of picked) {
  let img;
  try { img = await decodeImage(readFileSync(f), undefined, { maxSide: 512 }); } catch { continue; }
  const g = toGray(fitSquare(img, side));
  for (let t = 0; t < perImage * 4 && raw.length < (done + 1) * perImage; t++) {
    const x0 = Math.floor(rand() * (side - P + 1)), y0 = Math.floor(rand() * (side - P + 1));
    const v = new Float64Array(D);
    const inv = rand() < 0.5, flip = rand() < 0.5;
    for (let y = 0; y < P; y++) for (let x = 0; x < P; x++) { const px = g.data[(y0 + y) * side + x0 + (flip ? P - 1 - x : x)]!; v[y * P + x] = inv ? 255 - px : px; }
    let m = 0; for (const a of v) m += a; m /= D;
    let s = 0; for (const a of v) s += (a - m) ** 2; s /= D;
    if (Math.sqrt(s) < Number(values.minstd)) continue;
    const n = 1 / Math.sqrt(s + 10);
    for (let i = 0; i < D; i++) v[i] = (v[i]! - m) * n;
    raw.push(v);
  }
  done++;
}
process.stderr.write(`${raw.length} patches from ${done} images\n`);
const mean = new Float64Array(D);
for (const v of raw) for (let i = 0; i < D; i++) mean[i]! += v[i]! / raw.length;
const C = new Matrix(D, D);
for (const v of raw) for (let i = 0; i < D; i++) for (let j = i; j < D; j++) C.set(i, j, C.get(i, j) + (v[i]! - mean[i]!) * (v[j]! - mean[j]!));
for (let i = 0; i < D; i++) for (let j = i; j < D; j++) { const c = C.get(i, j) / raw.length; C.set(i, j, c); C.set(j, i, c); }
const e = new EigenvalueDecomposition(C, { assumeSymmetric: true });
const eps = Number(values.eps);
const W = new Matrix(D, D);
for (let k = 0; k < D; k++) { const l = 1 / Math.sqrt(Math.max(0, e.realEigenvalues[k]!) + eps); for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) W.set(i, j, W.get(i, j) + e.eigenvectorMatrix.get(i, k) * l * e.eigenvectorMatrix.get(j, k)); }
const white = raw.map((v) => { const o = new Array<number>(D).fill(0); for (let i = 0; i < D; i++) { let s = 0; for (let j = 0; j < D; j++) s += W.get(i, j) * (v[j]! - mean[j]!); o[i] = s; } return o; });
const t0 = Date.now();
const res = kmeans(white, K, { seed: 42, maxIterations: 50, initialization: 'kmeans++' });
process.stderr.write(`kmeans ${(Date.now() - t0) / 1000}s, ${res.iterations} iterations\n`);
writeFileSync(values.out!, JSON.stringify({ side, patch: P, k: K, mean: Array.from(mean), whiten: W.to2DArray(), centroids: res.centroids }));
