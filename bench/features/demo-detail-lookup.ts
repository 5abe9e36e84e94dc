/**
 * Product-photo check for candidate extractors: on the demo catalog, every detail shot
 * (`<id>-2.jpg`: the clip art mirrored and zoomed 1.35×) queries the main images of all products;
 * reports recall@1 / recall@5 of finding its own product, and ms per image.
 *   npx tsx bench/features/demo-detail-lookup.ts [default] [raw-pixels-32] [nsfwjs] [default+nsfwjs*2 …]
 * A name with "+" is a hybrid (features/hybrid, SHOPLENS_EXTRACTOR syntax) of the parts' vectors,
 * each part extracted once per run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cosineSimilarity } from '../../src/domain/vector.js';
import { createDefaultExtractor } from '../../src/features/classic/default.extractor.js';
import { RawPixelsExtractor } from '../../src/features/classic/raw-pixels.extractor.js';
import type { FeatureExtractor } from '../../src/features/feature-extractor.js';
import { HybridExtractor, parseExtractorSpec } from '../../src/features/hybrid/hybrid.extractor.js';
import { decodeImage } from '../../src/imaging/index.js';

const DIR = path.join(import.meta.dirname, '../../examples/demo/images');
const files = readdirSync(DIR).filter((f) => f.endsWith('.jpg')).sort();
const mains = files.filter((f) => !f.includes('-'));
const details = files.filter((f) => f.includes('-2'));
const images = new Map(await Promise.all(files.map(async (f) => [f, await decodeImage(readFileSync(path.join(DIR, f)))] as const)));

async function make(name: string): Promise<FeatureExtractor> {
  if (name === 'default') return createDefaultExtractor();
  if (name === 'raw-pixels-32') return new RawPixelsExtractor(32);
  if (name === 'nsfwjs') return (await import('../../src/features/tfjs/nsfwjs.extractor.js')).NsfwjsMobileNetExtractor.create();
  throw new Error(`unknown extractor ${name}`);
}

/** Vectors of every image by one named extractor, and ms per image; cached per name. */
const partCache = new Map<string, { e: FeatureExtractor; vec: Map<string, Float32Array>; ms: number }>();
async function vectorsOf(name: string) {
  const hit = partCache.get(name);
  if (hit) return hit;
  const e = await make(name);
  const t0 = performance.now();
  const vec = new Map<string, Float32Array>();
  for (const f of [...mains, ...details]) vec.set(f, await e.extract(images.get(f)!));
  const entry = { e, vec, ms: (performance.now() - t0) / (mains.length + details.length) };
  partCache.set(name, entry);
  return entry;
}

for (const name of process.argv.slice(2)) {
  const terms = parseExtractorSpec(name);
  const parts = await Promise.all(terms.map(async (t) => ({ ...(await vectorsOf(t.name)), weight: t.weight })));
  const hybrid = parts.length > 1 ? new HybridExtractor(parts.map((p) => ({ extractor: p.e, weight: p.weight }))) : null;
  const e = hybrid ?? parts[0]!.e;
  const vec = hybrid ? new Map(files.map((f) => [f, hybrid.combine(parts.map((p) => p.vec.get(f)!))] as const)) : parts[0]!.vec;
  const ms = parts.reduce((s, p) => s + p.ms, 0);
  let r1 = 0, r5 = 0;
  for (const d of details) {
    const own = d.replace('-2', '');
    const q = vec.get(d)!;
    const ranked = mains.map((m) => [m, cosineSimilarity(q, vec.get(m)!)] as const).sort((a, b) => b[1] - a[1]);
    const rank = ranked.findIndex(([m]) => m === own);
    if (rank === 0) r1++;
    if (rank < 5) r5++;
  }
  process.stdout.write(`${name.padEnd(24)} ${String(e.identity.dimensions).padStart(5)}-d  detail→product recall@1 ${(r1 / details.length).toFixed(3)}  recall@5 ${(r5 / details.length).toFixed(3)}  (${details.length} queries, ${mains.length} products)  ${ms.toFixed(1)} ms/image (≤400 px)\n`);
}
