import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CliIO } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { openShoplens, type Shoplens } from '../../src/main.js';
import type { IngestReport } from '../../src/ingest/ingest.service.js';
import sharp from 'sharp';
import { flagImage, relit, type Placement, type Rgb } from '../factories/flags.js';
import { card } from '../factories/gray-card.js';
import { encodePng } from '../../src/imaging/index.js';
import { DEFAULT_LOOKUP_OPTIONS, LookupService, type LookupOptions } from '../../src/search/lookup/lookup.service.js';

/** A fresh data directory and an opened Shoplens on it; `cleanup` closes and deletes both. */
export async function freshShoplens(overrides: Partial<Record<keyof Config, unknown>> = {}): Promise<{
  dir: string;
  config: Config;
  shoplens: Shoplens;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-test-'));
  const config = loadConfig({ dataDir: path.join(dir, 'data'), ...overrides }, {});
  const shoplens = await openShoplens(config);
  return {
    dir,
    config,
    shoplens,
    cleanup: async () => {
      await shoplens.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function tempDir(prefix = 'shoplens-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** CliIO that collects what a command prints. */
export function captureIO(): CliIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, stdout: () => out, stderr: () => err };
}

/** Runs `shoplens <args>` in-process; resolves to its exit code and output. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await runCli(['node', 'shoplens', ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

/** Writes each product's picture as <dir>/<id>.png, lists them in a catalog CSV and ingests it. */
export async function ingestPictures(
  fresh: { dir: string; shoplens: Shoplens },
  products: ReadonlyArray<{ id: string; title?: string; category?: string; png: Buffer }>,
): Promise<IngestReport> {
  const rows = ['id,title,category,image'];
  for (const p of products) {
    const file = path.join(fresh.dir, `${p.id}.png`);
    await writeFile(file, p.png);
    rows.push(`${p.id},${p.title ?? p.id},${p.category ?? 'shoes'},${file}`);
  }
  const catalog = path.join(fresh.dir, 'catalog.csv');
  await writeFile(catalog, `${rows.join('\n')}\n`);
  return fresh.shoplens.ingest.ingest(catalog);
}

/**
 * A LookupService on the shoplens's store that gets one keypoint per photo (none of a colour channel) and no second look in
 * boxes: nothing for a homography, as when a flat product's corners show only clutter. Close it.
 */
export async function starvedLookup(shoplens: Shoplens, options: Partial<LookupOptions> = {}): Promise<LookupService> {
  const limits = { maxPixels: shoplens.config.maxImagePixels, maxBytes: shoplens.config.maxImageBytes };
  const starved = { queryKeypoints: 1, colourKeypoints: { ...DEFAULT_LOOKUP_OPTIONS.colourKeypoints, query: 0 }, windows: { ...DEFAULT_LOOKUP_OPTIONS.windows, side: 0 } };
  const l = new LookupService(shoplens.store, { limits, vocabularyPath: path.join(shoplens.config.dataDir, 'lookup-vocabulary.bin'), ...starved, ...options }, shoplens.media);
  await l.open();
  return l;
}

/** The product of a catalogue image key, or undefined. */
export async function productOfKey(shoplens: Shoplens, key: number | undefined): Promise<string | undefined> {
  return key === undefined ? undefined : (await shoplens.store.getImages([key])).get(key)?.productId;
}

/**
 * Ingests flat products drawn on white (400×400, the drawing `width`×`height` at the centre) in
 * `category`, and thirty textured cards (category "cards") so the vocabulary trains.
 */
export async function ingestFlatCatalogue(
  ctx: { dir: string; shoplens: Shoplens },
  drawings: Record<string, (u: number, v: number) => Rgb | null>,
  category: string,
  size: { width: number; height: number },
): Promise<IngestReport> {
  const rows = ['id,title,category,price,currency,image'];
  for (const [name, drawing] of Object.entries(drawings)) {
    const file = path.join(ctx.dir, `${name}.png`);
    await writeFile(file, await encodePng(flagImage(400, 400, drawing, { cx: 200, cy: 200, ...size, turn: 0 }, 'white')));
    rows.push(`${name},${category} ${name},${category},9.00,EUR,${file}`);
  }
  for (let i = 0; i < 30; i++) {
    const file = path.join(ctx.dir, `card${i}.png`);
    await writeFile(file, await encodePng(card(400, 300, 11 + i, 80)));
    rows.push(`card${i},card ${i},cards,3.00,EUR,${file}`);
  }
  await writeFile(path.join(ctx.dir, 'catalog.csv'), rows.join('\n') + '\n');
  return ctx.shoplens.ingest.ingest(path.join(ctx.dir, 'catalog.csv'));
}

/**
 * A shopper's photo (640×480 JPEG) of a flat product: the drawing placed `at` on a cluttered table
 * (`seed`), under other light (a gain and an offset per channel), blurred (σ `blur`) and squeezed
 * (JPEG `quality`).
 */
export async function tablePhoto(
  drawing: (u: number, v: number) => Rgb | null,
  at: Placement,
  o: { seed: number; gain: Rgb; offset: Rgb; blur: number; quality: number },
): Promise<Buffer> {
  const scene = relit(flagImage(640, 480, drawing, at, 'table', o.seed), o.gain, o.offset);
  return sharp(scene.data, { raw: { width: 640, height: 480, channels: 3 } }).blur(o.blur).jpeg({ quality: o.quality }).toBuffer();
}
