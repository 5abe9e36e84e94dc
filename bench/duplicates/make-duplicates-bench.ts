/**
 * Duplicates benchmark data: `distinct` generated products (test/catalogs/make-catalog.ts) plus
 * `copies` extra products whose picture is an edited copy of one original's primary image —
 * re-encoded (JPEG q 60–90), resized (50–150 %), cropped (5 % off the edges) or watermarked
 * (semi-transparent text overlay) — each with its own id, title and price, as a shop that
 * listed the same item twice would have. Ground truth: the (original, copy) pairs.
 *
 *   npx tsx bench/duplicates/make-duplicates-bench.ts --out /tmp/dup --seed 2 [--distinct 300 --copies 150] [--source clipart|generated]
 *
 * Writes <out>/catalog.csv, <out>/images/ and <out>/truth.json.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { seededRandom } from '../../src/eval/random.js';
import { makeCatalog } from '../../test/catalogs/make-catalog.js';
import { listPngs } from '../lookup/make-lookup-bench.js';

export type CopyKind = 'reencode' | 'resize' | 'crop' | 'watermark';
export const COPY_KINDS: readonly CopyKind[] = ['reencode', 'resize', 'crop', 'watermark'];

export interface DuplicatePair {
  original: string;
  copy: string;
  kind: CopyKind;
  detail: string;
}

export interface DuplicatesBench {
  catalogPath: string;
  truthPath: string;
  distinct: number;
  pairs: DuplicatePair[];
}

/**
 * 'clipart': distinct pictures from Debian's openclipart-png (public domain), flattened on a white
 * 400×400 canvas — different objects, as distinct products are. 'generated': make-catalog's
 * synthetic products, which share a few silhouettes and differ mostly in colour and small marks
 * (colour variants of one model), a much harder negative set.
 */
export type DistinctSource = 'clipart' | 'generated';

const CLIPART_ROOT = '/usr/share/openclipart/png';


async function makeClipartCatalog(out: string, rows: number, seed: number): Promise<{ catalogPath: string }> {
  const imagesDir = path.join(out, 'images');
  await rm(imagesDir, { recursive: true, force: true });
  await mkdir(imagesDir, { recursive: true });
  const files = await listPngs(CLIPART_ROOT);
  const rand = seededRandom(seed * 977 + 3);
  for (let i = files.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [files[i], files[j]] = [files[j]!, files[i]!];
  }
  const lines = ['id,title,brand,category,price,currency,image'];
  const taken: { ink: Float32Array; sum: number }[] = [];
  for (const file of files) {
    if (lines.length > rows) break;
    const meta = await sharp(file).metadata().catch(() => null);
    if (!meta?.width || !meta.height || Math.min(meta.width, meta.height) < 120) continue;
    const art = await sharp(file).resize(328, 328, { fit: 'inside' }).flatten({ background: '#ffffff' }).png().toBuffer();
    const { data } = await sharp(art).greyscale().resize(16, 16, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    if (data.filter((v) => v < 240).length < 8) continue; // (nearly) blank
    // Open Clip Art holds the same picture under several names and folders, and variants of one
    // drawing; those are true duplicates the truth would not list. Skip a source whose 16×16 grey
    // thumbnail is within 30 % of its ink from one already taken (as examples/demo does).
    const ink = Float32Array.from(data, (v) => 255 - v);
    const inkSum = ink.reduce((a, b) => a + b, 0);
    if (taken.some((t) => {
      let diff = 0;
      for (let i = 0; i < ink.length; i++) diff += Math.abs(ink[i]! - t.ink[i]!);
      return diff < 0.3 * Math.max(inkSum, t.sum);
    })) continue;
    taken.push({ ink, sum: inkSum });
    const id = `art-${String(lines.length).padStart(5, '0')}`;
    const jpeg = await sharp({ create: { width: 400, height: 400, channels: 3, background: '#ffffff' } })
      .composite([{ input: art, gravity: 'centre' }]).jpeg({ quality: 80 }).toBuffer();
    await writeFile(path.join(imagesDir, `${id}.jpg`), jpeg);
    const category = path.relative(CLIPART_ROOT, path.dirname(file)).split(path.sep)[0]!.replace(/[^a-z0-9]+/gi, ' ');
    const title = path.basename(file, '.png').replace(/[^a-z0-9]+/gi, ' ').trim().slice(0, 60) || id;
    lines.push([id, title, 'Acme', category, (5 + rand() * 95).toFixed(2), 'EUR', `images/${id}.jpg`].join(','));
  }
  if (lines.length <= rows) throw new Error(`only ${lines.length - 1} usable clip art files`);
  const catalogPath = path.join(out, 'catalog.csv');
  await writeFile(catalogPath, lines.join('\n') + '\n');
  return { catalogPath };
}

export async function makeDuplicatesBench(options: { out: string; seed: number; distinct?: number; copies?: number; source?: DistinctSource }): Promise<DuplicatesBench> {
  const distinct = options.distinct ?? 300;
  const copies = options.copies ?? 150;
  if (copies > distinct) throw new Error('copies must not exceed distinct (one copy per original)');
  const made = (options.source ?? 'clipart') === 'clipart'
    ? await makeClipartCatalog(options.out, distinct, options.seed)
    : await makeCatalog({ out: options.out, rows: distinct, broken: 0, seed: options.seed });
  const csv = (await readFile(made.catalogPath, 'utf8')).trimEnd().split('\n');
  const header = csv[0]!.split(',');
  const idCol = header.indexOf('id');
  const imageCol = header.indexOf('image');
  const rows = csv.slice(1).map((l) => l.split(',')); // generated rows hold no quoted commas
  if (rows.some((r) => r.length !== header.length)) throw new Error('unexpected quoted field in generated catalog');

  const rand = seededRandom(options.seed * 31 + 7);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const pairs: DuplicatePair[] = [];
  const extra: string[] = [];
  for (let c = 0; c < copies; c++) {
    const src = rows[order[c]!]!;
    const original = src[idCol]!;
    const primary = src[imageCol]!.split('|')[0]!;
    const kind = COPY_KINDS[c % COPY_KINDS.length]!;
    const input = await readFile(path.join(options.out, primary));
    const { width = 256, height = 256 } = await sharp(input).metadata();
    let img = sharp(input);
    let detail: string;
    const quality = 60 + Math.floor(rand() * 31);
    switch (kind) {
      case 'reencode':
        detail = `jpeg q${quality}`;
        break;
      case 'resize': {
        let scale = 0.5 + rand();
        if (Math.abs(scale - 1) < 0.05) scale = 1.2; // an unchanged size would be a plain re-encode
        const w = Math.max(8, Math.round(width * scale));
        const h = Math.max(8, Math.round(height * scale));
        img = img.resize(w, h, { fit: 'fill' });
        detail = `resize ${(scale * 100).toFixed(0)}% to ${w}x${h}, q${quality}`;
        break;
      }
      case 'crop': {
        // 5 % of each dimension removed, split at random between the two opposite edges.
        const cw = Math.round(width * 0.05), ch = Math.round(height * 0.05);
        const left = Math.floor(rand() * (cw + 1)), top = Math.floor(rand() * (ch + 1));
        img = img.extract({ left, top, width: width - cw, height: height - ch });
        detail = `crop 5% (left ${left}, top ${top}), q${quality}`;
        break;
      }
      case 'watermark': {
        const opacity = (0.35 + rand() * 0.25).toFixed(2);
        const fontSize = Math.round(height * 0.1);
        const y = Math.round(height * (0.55 + rand() * 0.35));
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
          <text x="${Math.round(width / 2)}" y="${y}" font-family="sans-serif" font-weight="bold" font-size="${fontSize}"
            text-anchor="middle" fill="#808080" fill-opacity="${opacity}">© SHOP ${c + 1}</text></svg>`;
        img = img.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
        detail = `text watermark opacity ${opacity} at y=${y}, q${quality}`;
        break;
      }
    }
    const copyId = `dup-${String(c + 1).padStart(4, '0')}`;
    const file = `images/${copyId}.jpg`;
    await writeFile(path.join(options.out, file), await img.jpeg({ quality }).toBuffer());
    const row = [...src];
    row[idCol] = copyId;
    row[imageCol] = file;
    row[header.indexOf('title')] = `${src[header.indexOf('title')]} (listing ${c + 1})`;
    row[header.indexOf('price')] = (Number(src[header.indexOf('price')]) * (0.9 + rand() * 0.2)).toFixed(2);
    extra.push(row.join(','));
    pairs.push({ original, copy: copyId, kind, detail });
  }
  // Copies interleaved at random positions would be more realistic for ids, but ids are opaque to the
  // duplicates service; appending keeps the original rows byte-identical to make-catalog's output.
  await writeFile(made.catalogPath, [...csv, ...extra].join('\n') + '\n');
  const truthPath = path.join(options.out, 'truth.json');
  await writeFile(truthPath, JSON.stringify({ seed: options.seed, distinct, copies, pairs }, null, 1));
  return { catalogPath: made.catalogPath, truthPath, distinct, pairs };
}

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = arg('out');
  if (!out) throw new Error('--out <dir> is required');
  const source = arg('source', 'clipart') as DistinctSource;
  const r = await makeDuplicatesBench({ out, source, seed: Number(arg('seed', '1')), distinct: Number(arg('distinct', '300')), copies: Number(arg('copies', '150')) });
  console.log(`${r.distinct} distinct + ${r.pairs.length} copies → ${r.catalogPath}; truth ${r.truthPath}`);
}
