/**
 * CPU per step of ingest and of a search query, one image at a time (so process CPU, all threads,
 * is attributable to the step), on the same generated 640×480 JPEGs as the ingest and HTTP
 * benchmarks, next to the ingest bench's floor (sharp decode + resize to fit 512) measured the
 * same way. Shows where the CPU per image goes; the pipelines themselves are measured by
 * ingest.bench.ts and bench/http.
 *
 *   npx tsx bench/ingest/steps.bench.ts [--n 150]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ClassicExtractor } from '../../src/features/classic/default.extractor.js';
import { decodeImage, encodeDisplayJpeg, readImageHeader } from '../../src/imaging/index.js';
import { log, parseArgs, round } from '../lib/common.js';
import { writeCatalog } from '../lib/images.js';

const args = parseArgs();
const nArg = args.rest.indexOf('--n');
const n = nArg >= 0 ? Number(args.rest[nArg + 1]) : 150;
const dir = mkdtempSync(path.join(os.tmpdir(), 'shoplens-bench-steps-'));
try {
  const { files } = await writeCatalog(dir, n);
  const images = files.map((f) => readFileSync(f));
  const extractor = new ClassicExtractor();
  const cpu: Record<string, number> = {};
  const step = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const c = process.cpuUsage();
    const r = await fn();
    const u = process.cpuUsage(c);
    cpu[name] = (cpu[name] ?? 0) + (u.user + u.system) / 1000;
    return r;
  };
  for (let pass = 0; pass < 2; pass++) { // the first pass warms up (JIT, sharp)
    for (const k of Object.keys(cpu)) delete cpu[k];
    for (const bytes of images) {
      await step('floor: sharp decode + resize 512', () =>
        sharp(bytes).rotate().resize(512, 512, { fit: 'inside', withoutEnlargement: true }).removeAlpha().raw().toBuffer());
      await step('ingest: sha256', () => createHash('sha256').update(bytes).digest('hex'));
      await step('ingest: header (also inside decode)', () => readImageHeader(bytes));
      const image = await step('ingest: decode 512 (with header)', () => decodeImage(bytes));
      await step('ingest: extract (512 px input)', () => extractor.extractSync(image));
      await step('ingest: display JPEG', () => encodeDisplayJpeg(image));
      const query = await step('query: decode (largeImageSide 256)', () =>
        decodeImage(bytes, undefined, { maxSide: 512, largeImageSide: extractor.queryDecodeSide }));
      await step('query: extract', () => extractor.extractSync(query));
    }
  }
  const rows = Object.entries(cpu).map(([name, ms]) => ({ step: name, cpuMsPerImage: round(ms / n, 2) }));
  log('steps', `${n} images 640×480, one at a time, process CPU (all threads) per image:`);
  for (const r of rows) log('steps', `${r.step.padEnd(40)} ${r.cpuMsPerImage.toFixed(2)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
