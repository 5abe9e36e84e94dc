/**
 * Exploration harness for the default extractor (not part of the shipped bench): computes named
 * feature blocks on a Fashion-MNIST subset, caches them in /tmp/fx, and evaluates weighted
 * combinations with the same exact ranking as `shoplens bench fashion-mnist`.
 *
 *   npx tsx bench/features/explore.ts <catalog> <queries> "<block>:<weight>,<block>:<weight>" [...]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { l2normalize } from '../../src/domain/vector.js';
import { readFashionMnist, takeFirst } from '../../src/eval/datasets/fashion-mnist.reader.js';
import { ExactRanker, metricsOf } from '../../src/eval/bench/exact-ranking.js';
import { grayToRgb } from '../../src/imaging/index.js';
import type { RgbImage } from '../../src/imaging/index.js';
import { BLOCKS } from './explore-blocks.js';

const CACHE = '/tmp/fx';

async function main() {
  const [ncatS, nqS, ...specs] = process.argv.slice(2);
  const ncat = Number(ncatS), nq = Number(nqS);
  const data = await readFashionMnist();
  const cat = takeFirst(data.train, ncat), qs = takeFirst(data.test, nq);
  mkdirSync(CACHE, { recursive: true });
  if (specs.some((sp) => sp.includes('nsfw'))) {
    const { NsfwjsMobileNetExtractor } = await import('../../src/features/tfjs/nsfwjs.extractor.js');
    const e = await NsfwjsMobileNetExtractor.create();
    BLOCKS['nsfw'] = (img) => e.extractSync(img);
  }
  const size = 28 * 28;
  const blockCache = new Map<string, { dim: number; cat: Float32Array; q: Float32Array }>();
  const getBlock = (name: string) => {
    const hit = blockCache.get(name);
    if (hit) return hit;
    const fn = BLOCKS[name];
    if (!fn) throw new Error(`unknown block ${name}; have ${Object.keys(BLOCKS).join(' ')}`);
    const file = `${CACHE}/${name}-${ncat}-${nq}.f32`;
    let all: Float32Array, dim: number;
    if (existsSync(file)) {
      const buf = readFileSync(file);
      all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      dim = all.length / (ncat + nq);
    } else {
      const t0 = performance.now();
      const imgs: RgbImage[] = [];
      for (let i = 0; i < ncat; i++) imgs.push(grayToRgb({ data: cat.pixels.subarray(i * size, (i + 1) * size), width: 28, height: 28, channels: 1 }));
      for (let i = 0; i < nq; i++) imgs.push(grayToRgb({ data: qs.pixels.subarray(i * size, (i + 1) * size), width: 28, height: 28, channels: 1 }));
      const first = fn(imgs[0]!);
      dim = first.length;
      all = new Float32Array(imgs.length * dim);
      for (let i = 0; i < imgs.length; i++) all.set(fn(imgs[i]!), i * dim);
      const ms = (performance.now() - t0) / imgs.length;
      process.stderr.write(`block ${name}: ${dim}-d, ${ms.toFixed(2)} ms/image (28px)\n`);
      writeFileSync(file, Buffer.from(all.buffer, all.byteOffset, all.byteLength));
    }
    const b = { dim, cat: all.subarray(0, ncat * dim), q: all.subarray(ncat * dim) };
    blockCache.set(name, b);
    return b;
  };
  for (const spec of specs) {
    const [body, ...transforms] = spec.split('@');
    const parts = body!.split(',').map((p) => { const [n, w] = p.split(':'); return { name: n!, w: w === undefined ? 1 : Number(w) }; });
    const blocks = parts.map((p) => ({ ...p, ...getBlock(p.name) }));
    let dim = blocks.reduce((s, b) => s + b.dim, 0);
    const combine = (which: 'cat' | 'q', n: number) => {
      const out = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) {
        let off = 0;
        const row = out.subarray(i * dim, (i + 1) * dim);
        for (const b of blocks) {
          const src = b[which].subarray(i * b.dim, (i + 1) * b.dim);
          // each block unit length, then weighted
          let ss = 0;
          for (let k = 0; k < b.dim; k++) ss += src[k]! * src[k]!;
          const inv = ss > 0 ? b.w / Math.sqrt(ss) : 0;
          for (let k = 0; k < b.dim; k++) row[off + k] = src[k]! * inv;
          off += b.dim;
        }
        l2normalize(row);
      }
      return out;
    };
    let catV = combine('cat', ncat), qV = combine('q', nq);
    for (const t of transforms) {
      if (t === 'center') for (const V of [catV, qV]) for (let i = 0; i < V.length / dim; i++) {
        const row = V.subarray(i * dim, (i + 1) * dim); let m = 0; for (const x of row) m += x; m /= dim; for (let k = 0; k < dim; k++) row[k]! -= m; l2normalize(row);
      } else if (t === 'gcenter') {
        const mean = new Float64Array(dim); for (let i = 0; i < ncat; i++) for (let k = 0; k < dim; k++) mean[k]! += catV[i * dim + k]! / ncat;
        for (const V of [catV, qV]) for (let i = 0; i < V.length / dim; i++) { const row = V.subarray(i * dim, (i + 1) * dim); for (let k = 0; k < dim; k++) row[k]! -= mean[k]!; l2normalize(row); }
      } else if (t.startsWith('pow')) {
        const a = Number(t.slice(3)); for (const V of [catV, qV]) { for (let k = 0; k < V.length; k++) V[k] = Math.sign(V[k]!) * Math.abs(V[k]!) ** a; for (let i = 0; i < V.length / dim; i++) l2normalize(V.subarray(i * dim, (i + 1) * dim)); }
      } else if (t.startsWith('pcaw')) {
        // DIAGNOSTIC ONLY (fits on the catalog): PCA whitening keeping k dims, power a on eigenvalues.
        const [kS, aS] = t.slice(4).split('^'); const k = Number(kS), a = aS === undefined ? 0.5 : Number(aS);
        const { EigenvalueDecomposition, Matrix } = await import('ml-matrix');
        const nfit = Math.min(ncat, 4000);
        const mean = new Float64Array(dim); for (let i = 0; i < nfit; i++) for (let j = 0; j < dim; j++) mean[j]! += catV[i * dim + j]! / nfit;
        const cov = new Float64Array(dim * dim);
        const x = new Float64Array(dim);
        for (let i = 0; i < nfit; i++) { for (let j = 0; j < dim; j++) x[j] = catV[i * dim + j]! - mean[j]!; for (let p = 0; p < dim; p++) { const xp = x[p]!; if (xp === 0) continue; const o = p * dim; for (let q = p; q < dim; q++) cov[o + q]! += xp * x[q]!; } }
        const M = new Matrix(dim, dim); for (let p = 0; p < dim; p++) for (let q = p; q < dim; q++) { const v = cov[p * dim + q]! / nfit; M.set(p, q, v); M.set(q, p, v); }
        const e = new EigenvalueDecomposition(M, { assumeSymmetric: true });
        const vals = e.realEigenvalues, vecs = e.eigenvectorMatrix;
        const order = vals.map((v, i) => [v, i] as const).sort((u, w) => w[0] - u[0]).slice(0, k);
        const P = new Float32Array(k * dim);
        order.forEach(([v, idx], r) => { const s2 = 1 / Math.pow(Math.max(v, 1e-9) + 1e-6, a); for (let j = 0; j < dim; j++) P[r * dim + j] = vecs.get(j, idx) * s2; });
        const proj = (V: Float32Array, n: number) => { const out = new Float32Array(n * k); for (let i = 0; i < n; i++) { for (let j = 0; j < dim; j++) x[j] = V[i * dim + j]! - mean[j]!; for (let r = 0; r < k; r++) { let s3 = 0; const o = r * dim; for (let j = 0; j < dim; j++) s3 += P[o + j]! * x[j]!; out[i * k + r] = s3; } l2normalize(out.subarray(i * k, (i + 1) * k)); } return out; };
        catV = proj(catV, ncat); qV = proj(qV, nq); dim = k;
      } else throw new Error(`unknown transform ${t}`);
    }
    const t0 = performance.now();
    const ranker = new ExactRanker(catV, dim, Uint8Array.from(cat.labels));
    const m = metricsOf(ranker.evaluate(qV, qs.labels));
    const s = (performance.now() - t0) / 1000;
    process.stdout.write(`${spec.padEnd(50)} ${String(dim).padStart(5)}  mAP ${m.mAP.toFixed(4)}  P@10 ${m['P@10'].toFixed(4)}  top1 ${m.top1.toFixed(4)}  knn10 ${m.knn10.toFixed(4)}  rank ${s.toFixed(1)}s\n`);
  }
}

await main();
