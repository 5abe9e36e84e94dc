/**
 * Phone photos of one product on a table: does image search find it with the global features
 * alone (product lookup off, the default)? Every demo-catalogue product is drawn from its Open Clip
 * Art original (Debian's openclipart-png) at 35–70% of the photo's shorter side, turned ±15°, on a
 * table (half plain: a tint, a light gradient and grain; half wood: bands of two tints), under
 * other light, blurred on half of the photos, JPEG 60–85. No clutter: that is the lookup
 * benchmark's (bench/lookup). Reports how often the right product is first / in the first 10 for
 * the search as shipped (`searchByImage`: the photo's main subject, cut out on white) and for the
 * global features of the whole photo; and for a shopper's box around the product (its visible
 * pixels' box grown by a tenth on each side), as shipped (the subject cut out within it) and as it
 * is; and how many photos a subject was found in.
 *
 *   npx tsx bench/features/table-photos.ts --seed 12 [--out /tmp/table-12] [--data /tmp/demo-data] [--lookup]
 *
 * Seed 11 is the set the subject step was built on; seed 12 was measured once, after.
 * Without --data the demo catalogue is ingested into a temporary directory (with --lookup, with product
 * lookup's local features, and searched with it).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../../src/config/config.js';
import { seededRandom } from '../../src/eval/random.js';
import { openShoplens } from '../../src/main.js';
import { DEMO_CATALOG } from '../../src/cli/demo.command.js';
import { decodeImage } from '../../src/imaging/index.js';
import { cropImage, fractionToPixels, type FractionBox } from '../../src/imaging/subject.js';
import type { RgbImage } from '../../src/imaging/types.js';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '12' }, out: { type: 'string' }, data: { type: 'string' }, lookup: { type: 'boolean', default: false } } });
const seed = Number(values.seed);
const out = values.out ?? path.join(os.tmpdir(), `shoplens-table-photos-${seed}`);
const demoDir = path.dirname(DEMO_CATALOG);

/** The demo products' Open Clip Art originals (examples/demo/sources.csv). */
async function originals(): Promise<{ id: string; png: string }[]> {
  const lines = (await readFile(path.join(demoDir, 'sources.csv'), 'utf8')).trim().split('\n').slice(1);
  return lines.map((l) => l.split(',')).filter((r) => r[3] === 'original').map((r) => ({ id: r[0]!, png: r[2]!.replace(/^openclipart-png:/, '') }));
}

function table(W: number, H: number, rand: () => number): Buffer {
  const a = [70 + rand() * 150, 70 + rand() * 150, 70 + rand() * 150];
  const wood = rand() < 0.5;
  // Wood: bands of a second tint along a random direction, wavering.
  const b = a.map((v) => v * (0.7 + rand() * 0.2));
  const angle = rand() * Math.PI, period = 12 + rand() * 30;
  const gx = (rand() - 0.5) * 60, gy = (rand() - 0.5) * 60;
  const bg = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const o = (y * W + x) * 3;
    const along = x * Math.cos(angle) + y * Math.sin(angle), across = -x * Math.sin(angle) + y * Math.cos(angle);
    const t = wood ? 0.5 + 0.5 * Math.sin((across + 6 * Math.sin(along / 40)) / period * 2 * Math.PI) : 0;
    const shade = (gx * x) / W + (gy * y) / H + (rand() - 0.5) * 16;
    for (let c = 0; c < 3; c++) bg[o + c] = Math.max(0, Math.min(255, a[c]! * (1 - t) + b[c]! * t + shade));
  }
  return bg;
}

interface Photo {
  file: string;
  id: string;
  /** The shopper's box: the product's visible pixels' box grown by a tenth of it on each side, as fractions of the photo. */
  box: FractionBox;
}

async function makePhotos(): Promise<Photo[]> {
  await mkdir(out, { recursive: true });
  const rand = seededRandom(seed);
  const photos: Photo[] = [];
  for (const { id, png } of await originals()) {
    const landscape = rand() < 0.7;
    const W = landscape ? 640 : 480, H = landscape ? 480 : 640;
    const bg = table(W, H, rand);
    const side = Math.round((0.35 + rand() * 0.35) * Math.min(W, H));
    const { data, info } = await sharp(png, { limitInputPixels: false }).ensureAlpha().resize(side, side, { fit: 'inside' })
      .rotate((rand() - 0.5) * 30, { background: { r: 0, g: 0, b: 0, alpha: 0 } }).raw().toBuffer({ resolveWithObject: true });
    const layer = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toBuffer();
    const left = Math.round(rand() * Math.max(0, W - info.width)), top = Math.round(rand() * Math.max(0, H - info.height));
    const flat = await sharp(bg, { raw: { width: W, height: H, channels: 3 } }).composite([{ input: layer, left, top }]).removeAlpha().raw().toBuffer();
    let img = sharp(flat, { raw: { width: W, height: H, channels: 3 } })
      .modulate({ brightness: 0.8 + rand() * 0.35, saturation: 0.85 + rand() * 0.3, hue: Math.round((rand() - 0.5) * 16) });
    if (rand() < 0.5) img = img.blur(0.5 + rand() * 0.7);
    const file = path.join(out, `${id}.jpg`);
    await writeFile(file, await img.jpeg({ quality: 60 + Math.floor(rand() * 26) }).toBuffer());
    let x0 = info.width, y0 = info.height, x1 = 0, y1 = 0;
    for (let y = 0; y < info.height; y++) for (let x = 0; x < info.width; x++) {
      if (data[(y * info.width + x) * 4 + 3]! < 128) continue;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + 1); y1 = Math.max(y1, y + 1);
    }
    if (x1 <= x0 || y1 <= y0) [x0, y0, x1, y1] = [0, 0, info.width, info.height]; // no opaque pixel: the whole layer
    const mx = 0.1 * (x1 - x0), my = 0.1 * (y1 - y0);
    const bx = Math.max(0, left + x0 - mx), by = Math.max(0, top + y0 - my);
    const box = { x: bx / W, y: by / H, width: (Math.min(W, left + x1 + mx) - bx) / W, height: (Math.min(H, top + y1 + my) - by) / H };
    photos.push({ file, id, box });
  }
  await writeFile(path.join(out, 'queries.csv'), `image,expected\n${photos.map((p) => `${path.basename(p.file)},${p.id}`).join('\n')}\n`);
  return photos;
}

const photos = await makePhotos();
const dataDir = values.data ?? (await mkdtemp(path.join(os.tmpdir(), 'shoplens-table-data-')));
const shoplens = await openShoplens(loadConfig({ dataDir, localFeatures: values.lookup }, {}));
try {
  if (!values.data) await shoplens.ingest.ingest(DEMO_CATALOG);
  const { search, extractor, indexSync, store } = shoplens;
  const modes = ['shipped', 'whole', 'boxShipped', 'boxAsItIs'] as const;
  const tally = Object.fromEntries(modes.map((m) => [m, [0, 0]])) as Record<(typeof modes)[number], [number, number]>;
  /** Products ranked by the global features of `image` alone, as search ranked them before the subject step. */
  const rankedBy = async (image: RgbImage): Promise<string[]> => {
    await indexSync.refresh();
    const neighbours = indexSync.index.search(await extractor.extract(image), 40);
    const images = await store.getImages(neighbours.map((n) => n.key));
    return [...new Set(neighbours.map((n) => images.get(n.key)?.productId ?? ''))].slice(0, 10);
  };
  let subjects = 0;
  const ms: number[] = [];
  for (const p of photos) {
    const bytes = await readFile(p.file);
    const t = performance.now();
    const shipped = await search.searchByImage(bytes, { k: 10 });
    ms.push(performance.now() - t);
    if (shipped.subject) subjects++;
    // As search decodes them: the whole photo at the extractor's query size, a box at 512 px.
    const photo = await decodeImage(bytes, undefined, { maxSide: 512, largeImageSide: extractor.queryDecodeSide });
    const large = await decodeImage(bytes, undefined, { maxSide: 512 });
    const ranked = {
      shipped: shipped.hits.map((h) => h.product.id),
      whole: await rankedBy(photo),
      boxShipped: (await search.searchByImage(bytes, { k: 10, crop: p.box })).hits.map((h) => h.product.id),
      boxAsItIs: await rankedBy(cropImage(large, fractionToPixels(p.box, large.width, large.height))),
    };
    for (const m of modes) {
      const i = ranked[m].indexOf(p.id);
      if (i === 0) tally[m][0]++;
      if (i >= 0) tally[m][1]++;
      if (process.env.TABLE_PHOTOS_VERBOSE && m === 'shipped' && i !== 0) console.error(path.basename(p.file), 'rank', i < 0 ? '-' : i + 1, 'subject', JSON.stringify(shipped.subject ?? null));
    }
  }
  const n = photos.length;
  const share = (v: number) => Math.round((v / n) * 1000) / 1000;
  ms.sort((a, b) => a - b);
  console.log(JSON.stringify({
    seed, photos: n, subjectFound: share(subjects),
    ...Object.fromEntries(modes.map((m) => [m, { found1: share(tally[m][0]), found10: share(tally[m][1]) }])),
    msP50: Math.round(ms[n >> 1]! * 10) / 10,
  }));
} finally {
  await shoplens.close();
  if (!values.data) await rm(dataDir, { recursive: true, force: true });
}
