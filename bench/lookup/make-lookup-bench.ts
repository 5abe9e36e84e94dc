/**
 * Generates a product-lookup benchmark: a catalog of clip-art products rendered on white (like the
 * demo catalog), and shopper-style photos of some of them — the product at 40–80% of the frame,
 * rotated ±30°, on a cluttered table of other (non-catalog) clip art, with light and colour shifts,
 * blur and JPEG quality 30–80 — plus distractor photos with no catalog product in them.
 *
 *   npx tsx bench/lookup/make-lookup-bench.ts --out /tmp/lookup --products 1000 --queries 300 --distractors 50 --seed 1
 *   npx tsx bench/lookup/make-lookup-bench.ts --out /tmp/lookup --queries-only --seed 2 --name tuning
 *   npx tsx bench/lookup/make-lookup-bench.ts --out /tmp/lookup --queries-only --seed 1 --name tilted --tilt 35   # the same photos seen at an angle
 *
 * Writes <out>/catalog.csv (id,title,category,price,currency,image) and <out>/<name>.csv (image,expected)
 * for `shoplens eval --queries`; distractors are listed in <name>-distractors.csv (no expected id).
 * The catalog depends only on --products and --catalog-seed, so query sets made with other seeds
 * (a tuning set, a test set) share one catalog.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp, { type OverlayOptions } from 'sharp';
import { pick, seededRandom } from '../../src/eval/random.js';
import { loadOpenCv } from '../../src/features/local/opencv.js';
import { hammingDistance, perceptualHash } from '../../src/insights/image-hash.js';
import { FASHION_MNIST_CLASSES, readFashionMnist } from '../../src/eval/datasets/fashion-mnist.reader.js';

const SOURCE_ROOT = '/usr/share/openclipart/png';
const CANVAS = 400;
const MARGIN = 36;

export interface LookupBenchOptions {
  out: string;
  products: number;
  queries: number;
  distractors: number;
  seed: number;
  catalogSeed: number;
  name: string;
  queriesOnly: boolean;
  /**
   * Extra catalog images that are never photographed (a larger catalog to search, e.g. 9,000 for
   * the 10k measurement): the rest of Open Clip Art (a looser size/contrast filter, no repeat of a
   * clutter drawing), then Fashion-MNIST product images when Open Clip Art runs out.
   */
  fillers?: number;
  /**
   * Photos taken at an angle: the table seen by a phone tilted up to this many degrees (uniform from
   * 0) about a random axis in the table's plane, before the light, blur and JPEG steps. Drawn from a
   * random stream of its own, so the photos are otherwise those of the same seed without it. 0: none.
   */
  tilt?: number;
}

interface Source {
  file: string; rgba: Buffer; width: number; height: number;
  /** pHash of the opaque silhouette (same for a recoloured copy of a drawing). */
  shapeHash: string;
  /** pHash of the drawing on white (differs between recolourings, same for a copy). */
  greyHash: string;
  /** pHash of its edge strength (where the lines are, whatever their colours). */
  edgeHash: string;
  /** Its catalogue image at SIGNATURE_SIDE² per channel (sameImage). */
  signature: ImageSignature;
}

/** Per channel: the pixels less their mean, scaled to unit length, and their standard deviation. */
interface ImageSignature { channels: Float32Array[]; spread: number[] }

const SIGNATURE_SIDE = 48;
/**
 * Two catalogue images no photo can tell apart: per channel, their pixels correlate at least
 * SAME_CORRELATION and their contrasts differ by at most SAME_CONTRAST times (a channel flat in both
 * is skipped). The photo's light (per-channel gains and offsets) changes neither. pHashes miss some
 * such pairs (two identical cameras at 48 px: 0.999, five bits apart); a recolouring (a dark and a
 * light red Canada: contrast) or a variant (a clock at another time: 0.96, Yemen and Syria) is not one.
 */
const SAME_CORRELATION = 0.99;
const SAME_CONTRAST = 1.6;
const FLAT_CHANNEL = 4;

async function imageSignature(s: { rgba: Buffer; width: number; height: number }): Promise<ImageSignature> {
  const inner = Math.round(((CANVAS - 2 * MARGIN) / CANVAS) * SIGNATURE_SIDE);
  const fitted = await rgbaInput(s).resize(inner, inner, { fit: 'inside' }).png().toBuffer();
  const { data } = await sharp({ create: { width: SIGNATURE_SIDE, height: SIGNATURE_SIDE, channels: 3, background: '#ffffff' } })
    .composite([{ input: fitted, gravity: 'center' }]).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const n = SIGNATURE_SIDE * SIGNATURE_SIDE;
  const channels: Float32Array[] = [], spread: number[] = [];
  for (let c = 0; c < 3; c++) {
    const v = new Float32Array(n);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += (v[i] = data[3 * i + c]!);
    mean /= n;
    let norm = 0;
    for (let i = 0; i < n; i++) { v[i]! -= mean; norm += v[i]! * v[i]!; }
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < n; i++) v[i]! /= norm;
    channels.push(v);
    spread.push(norm / Math.sqrt(n));
  }
  return { channels, spread };
}

function sameImage(a: Source, b: Source): boolean {
  for (let c = 0; c < 3; c++) {
    const lo = Math.min(a.signature.spread[c]!, b.signature.spread[c]!), hi = Math.max(a.signature.spread[c]!, b.signature.spread[c]!);
    if (hi < FLAT_CHANNEL) continue;
    if (hi > SAME_CONTRAST * lo) return false;
    const x = a.signature.channels[c]!, y = b.signature.channels[c]!;
    let dot = 0;
    for (let i = 0; i < x.length; i++) dot += x[i]! * y[i]!;
    if (dot < SAME_CORRELATION) return false;
  }
  return true;
}

/** pHash of an RGBA drawing rendered on white, of its silhouette (opaque = black), or of its edges. */
function sourceHash(rgba: Buffer, width: number, height: number, mode: 'grey' | 'shape' | 'edge'): string {
  const data = Buffer.alloc(width * height * 3);
  const grey = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const a = rgba[4 * i + 3]! / 255;
    for (let c = 0; c < 3; c++) data[3 * i + c] = mode === 'shape' ? (a > 0.125 ? 0 : 255) : Math.round(rgba[4 * i + c]! * a + 255 * (1 - a));
    grey[i] = (data[3 * i]! + data[3 * i + 1]! + data[3 * i + 2]!) / 3;
  }
  if (mode === 'edge') {
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const g = (dx: number, dy: number) => grey[Math.min(height - 1, Math.max(0, y + dy)) * width + Math.min(width - 1, Math.max(0, x + dx))]!;
      const m = Math.min(255, Math.hypot(g(1, 0) - g(-1, 0), g(0, 1) - g(0, -1)) * 2);
      data.fill(255 - m, 3 * (y * width + x), 3 * (y * width + x) + 3);
    }
  }
  return perceptualHash({ data, width, height, channels: 3 });
}

/**
 * The same drawing again: openclipart holds copies and recolourings of one drawing under other
 * file names. A copy of a catalog product among the clutter makes a "no product" photo contain
 * the product (observed: a recoloured gift box, a colour version of a b/w burger, a second AIGA
 * barber sign), so clutter that repeats a product's drawing (pHash on white), or its silhouette and
 * its lines together (a recolouring), is left out. 29 of ~330 clutter drawings (catalog seed 1).
 */
function sameDrawing(a: Source, b: Source): boolean {
  return hammingDistance(a.greyHash, b.greyHash) <= 6 ||
    (hammingDistance(a.shapeHash, b.shapeHash) <= 8 && hammingDistance(a.edgeHash, b.edgeHash) <= 10);
}

/** Every PNG below `dir`, recursively, in sorted order (deterministic picks from openclipart). */
export async function listPngs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listPngs(p)));
    else if (e.name.endsWith('.png')) out.push(p);
  }
  return out.sort();
}

/** RGBA of a source trimmed to its content; white backgrounds become transparent. Null if unusable. */
async function loadSource(file: string, loose = false): Promise<Source | null> {
  try {
    const meta = await sharp(file).metadata();
    const minSide = loose ? 48 : 150;
    if ((meta.width ?? 0) < minSide || (meta.height ?? 0) < minSide || (meta.width ?? 0) * (meta.height ?? 0) > 6_000_000) return null;
    const { data, info } = await sharp(file).resize(420, 420, { fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    let x0 = info.width, y0 = info.height, x1 = -1, y1 = -1, ink = 0, sum = 0, sum2 = 0;
    for (let y = 0; y < info.height; y++) for (let x = 0; x < info.width; x++) {
      const o = (y * info.width + x) * 4;
      if (!meta.hasAlpha && data[o]! > 245 && data[o + 1]! > 245 && data[o + 2]! > 245) data[o + 3] = 0;
      if (data[o + 3]! > 32) {
        ink++;
        const g = (data[o]! + data[o + 1]! + data[o + 2]!) / 3;
        sum += g; sum2 += g * g;
        if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
    }
    if (ink < (loose ? 0.02 : 0.08) * info.width * info.height) return null;
    const mean = sum / ink;
    // Flat single-colour shapes have no corners to find: a shop product has print, seams, labels.
    if (!loose && Math.sqrt(sum2 / ink - mean * mean) < 30) return null;
    const w = x1 - x0 + 1, h = y1 - y0 + 1;
    if (w < (loose ? 24 : 80) || h < (loose ? 24 : 80) || w / h > (loose ? 6 : 3) || h / w > (loose ? 6 : 3)) return null;
    const rgba = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).extract({ left: x0, top: y0, width: w, height: h }).raw().toBuffer();
    return { file, rgba, width: w, height: h, shapeHash: sourceHash(rgba, w, h, 'shape'), greyHash: sourceHash(rgba, w, h, 'grey'), edgeHash: sourceHash(rgba, w, h, 'edge'), signature: await imageSignature({ rgba, width: w, height: h }) };
  } catch {
    return null;
  }
}

/** Source files split into catalog products and clutter (never in the catalog), deterministically. */
async function chooseSources(products: number, clutter: number, catalogSeed: number): Promise<{ catalog: Source[]; clutter: Source[]; rest: string[]; seen: Set<string> }> {
  const files = await listPngs(SOURCE_ROOT);
  const rand = seededRandom(catalogSeed);
  for (let i = files.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [files[i], files[j]] = [files[j]!, files[i]!];
  }
  const chosen: Source[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  let next = 0;
  for (const f of files) {
    if (chosen.length >= products + clutter) break;
    next++;
    const base = path.basename(f).replace(/_\d+\.png$|\.png$/, '');
    if (seen.has(base)) continue; // the same drawing in several sizes/folders
    const s = await loadSource(f);
    if (!s) continue;
    // The catalog is the first `products` sources whatever the clutter (query sets share it).
    const twin = chosen.length >= products ? chosen.slice(0, products).find((p) => sameDrawing(p, s)) : undefined;
    if (twin) {
      if (process.env.LOOKUP_BENCH_VERBOSE) console.error(`clutter ${path.basename(f)} repeats product ${path.basename(twin.file)}`);
      dropped++;
      continue;
    }
    seen.add(base);
    chosen.push(s);
  }
  if (dropped > 0) console.error(`clutter: left out ${dropped} drawings that repeat a catalog product`);
  if (chosen.length < products + clutter) throw new Error(`only ${chosen.length} usable sources`);
  return { catalog: chosen.slice(0, products), clutter: chosen.slice(products), rest: files.slice(next), seen };
}

/**
 * `count` more catalog images, never photographed: the remaining Open Clip Art drawings (looser
 * filter; none repeating a clutter drawing, so a "no product" photo still shows none, nor a
 * product's drawing, so each photo keeps one right answer), then
 * Fashion-MNIST images (grey 28×28 clothes, upscaled) once the clip art runs out. JPEG bytes + title.
 */
async function fillerImages(count: number, rest: string[], seen: Set<string>, clutter: Source[], products: Source[]): Promise<{ bytes: Buffer; title: string; category: string }[]> {
  const out: { bytes: Buffer; title: string; category: string }[] = [];
  for (const f of rest) {
    if (out.length >= count) break;
    const base = path.basename(f).replace(/_\d+\.png$|\.png$/, '');
    if (seen.has(base)) continue;
    const s = await loadSource(f, true);
    // A copy of a product would be a second right answer the photo's label does not name.
    if (!s || clutter.some((c) => sameDrawing(c, s)) || products.some((p) => sameDrawing(p, s) || sameImage(p, s))) continue;
    seen.add(base);
    out.push({ bytes: await catalogImage(s), title: base.replace(/[_-]+/g, ' ').replace(/[",]/g, '').trim(), category: path.relative(SOURCE_ROOT, path.dirname(f)).split(path.sep)[0] ?? 'misc' });
  }
  if (out.length < count) {
    const { train } = await readFashionMnist();
    const px = train.rows * train.cols;
    for (let i = 0; out.length < count && i < train.count; i++) {
      // Dark clothes on white, like a product shot (the dataset stores ink as high values).
      const grey = Buffer.from(train.pixels.subarray(i * px, (i + 1) * px).map((v) => 255 - v));
      const fitted = await sharp(grey, { raw: { width: train.cols, height: train.rows, channels: 1 } }).resize(CANVAS - 2 * MARGIN, CANVAS - 2 * MARGIN, { kernel: 'lanczos3' }).png().toBuffer();
      const bytes = await sharp({ create: { width: CANVAS, height: CANVAS, channels: 3, background: '#ffffff' } }).composite([{ input: fitted, gravity: 'center' }]).jpeg({ quality: 85 }).toBuffer();
      out.push({ bytes, title: `${FASHION_MNIST_CLASSES[train.labels[i]!]} ${i}`, category: 'fashion' });
    }
  }
  if (out.length < count) throw new Error(`only ${out.length} filler images`);
  return out;
}

function rgbaInput(s: { rgba: Buffer; width: number; height: number }) {
  return sharp(s.rgba, { raw: { width: s.width, height: s.height, channels: 4 } });
}

async function catalogImage(s: Source): Promise<Buffer> {
  const inner = CANVAS - 2 * MARGIN;
  const fitted = await rgbaInput(s).resize(inner, inner, { fit: 'inside' }).png().toBuffer();
  return sharp({ create: { width: CANVAS, height: CANVAS, channels: 3, background: '#ffffff' } })
    .composite([{ input: fitted, gravity: 'center' }]).jpeg({ quality: 85 }).toBuffer();
}

/** A transformed RGBA layer: scaled so its longest side is `side`, rotated by `angle` degrees. */
async function layer(s: Source, side: number, angle: number): Promise<{ input: Buffer; width: number; height: number }> {
  const { data, info } = await rgbaInput(s).resize(Math.max(8, Math.round(side)), Math.max(8, Math.round(side)), { fit: 'inside' })
    .rotate(angle, { background: { r: 0, g: 0, b: 0, alpha: 0 } }).raw().toBuffer({ resolveWithObject: true });
  return { input: await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toBuffer(), width: info.width, height: info.height };
}

/** A phone's view of the table turned `degrees` about the in-plane axis at `axis` radians (pinhole, focal length 0.9 × the longer side). */
export interface Tilt { degrees: number; axis: number }

/**
 * The photo's corners as a phone tilted by `t` sees them: the table is a plane at the focal distance,
 * turned about an axis through the photo's centre, and projected. The centre keeps its place and
 * scale (the shopper frames the product as before); the far side shrinks and leaves table showing,
 * the near side grows out of the frame.
 */
export function tiltedCorners(W: number, H: number, t: Tilt): number[] {
  const th = (t.degrees * Math.PI) / 180, ax = Math.cos(t.axis), ay = Math.sin(t.axis);
  // Rodrigues: rotation about the unit axis (ax, ay, 0).
  const c = Math.cos(th), s = Math.sin(th), C = 1 - c;
  const R = [c + ax * ax * C, ax * ay * C, ay * s, ax * ay * C, c + ay * ay * C, -ax * s, -ay * s, ax * s, c];
  const f = 0.9 * Math.max(W, H);
  return [[0, 0], [W, 0], [W, H], [0, H]].flatMap(([x, y]) => {
    const px = x! - W / 2, py = y! - H / 2;
    const X = R[0]! * px + R[1]! * py, Y = R[3]! * px + R[4]! * py, Z = R[6]! * px + R[7]! * py + f;
    return [(X / Z) * f + W / 2, (Y / Z) * f + H / 2];
  });
}

/**
 * RGB pixels warped to a tilted view (OpenCV's warpPerspective) over `table`, the bare table of the
 * same size, which shows where the tilted view leaves the frame uncovered (a plain border would read
 * as a product shot's clean backdrop).
 */
export async function tiltPixels(rgb: Buffer, table: Buffer, W: number, H: number, t: Tilt): Promise<Buffer> {
  const { cv } = await loadOpenCv();
  const src = new cv.Mat(H, W, cv.CV_8UC3), out = new cv.Mat(H, W, cv.CV_8UC3);
  (src.data as Uint8Array).set(rgb);
  (out.data as Uint8Array).set(table);
  const from = cv.matFromArray(4, 1, cv.CV_32FC2, [0, 0, W, 0, W, H, 0, H]);
  const to = cv.matFromArray(4, 1, cv.CV_32FC2, tiltedCorners(W, H, t));
  const m = cv.getPerspectiveTransform(from, to);
  try {
    cv.warpPerspective(src, out, m, new cv.Size(W, H), cv.INTER_LINEAR, cv.BORDER_TRANSPARENT);
    return Buffer.from(out.data as Uint8Array);
  } finally {
    for (const x of [src, from, to, m, out]) x.delete();
  }
}

async function shopperPhoto(product: Source | null, clutter: Source[], rand: () => number, tilt?: Tilt): Promise<Buffer> {
  const landscape = rand() < 0.7;
  const W = landscape ? 640 : 480, H = landscape ? 480 : 640;
  // Table: a tinted gradient with noise.
  const base = [60 + rand() * 180, 60 + rand() * 180, 60 + rand() * 180];
  const bg = Buffer.alloc(W * H * 3);
  const gx = (rand() - 0.5) * 80, gy = (rand() - 0.5) * 80;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const o = (y * W + x) * 3;
    const shade = (gx * x) / W + (gy * y) / H + (rand() - 0.5) * 24;
    for (let c = 0; c < 3; c++) bg[o + c] = Math.max(0, Math.min(255, base[c]! + shade));
  }
  const layers: OverlayOptions[] = [];
  const place = (l: { input: Buffer; width: number; height: number }, cx: number, cy: number): void => {
    const w = Math.min(l.width, W), h = Math.min(l.height, H);
    const left = Math.round(Math.min(Math.max(cx - w / 2, 0), W - w));
    const top = Math.round(Math.min(Math.max(cy - h / 2, 0), H - h));
    layers.push({ input: l.input, left, top });
  };
  const nClutter = 5 + Math.floor(rand() * 8);
  for (let i = 0; i < nClutter; i++) {
    const c = pick(rand, clutter);
    const l = await layer(c, (0.15 + rand() * 0.35) * Math.min(W, H), (rand() - 0.5) * 360);
    if (l.width > W || l.height > H) continue;
    place(l, rand() * W, rand() * H);
  }
  if (product) {
    const frac = 0.4 + rand() * 0.4;
    const l = await layer(product, frac * Math.min(W, H), (rand() - 0.5) * 60);
    const fit = Math.min(1, W / l.width, H / l.height);
    const input = fit < 1 ? await sharp(l.input).resize(Math.floor(l.width * fit), Math.floor(l.height * fit)).png().toBuffer() : l.input;
    const lw = Math.floor(l.width * fit), lh = Math.floor(l.height * fit);
    place({ input, width: lw, height: lh }, lw / 2 + rand() * (W - lw), lh / 2 + rand() * (H - lh));
  }
  let img = sharp(bg, { raw: { width: W, height: H, channels: 3 } }).composite(layers);
  let flat: Buffer = await img.removeAlpha().raw().toBuffer();
  if (tilt && tilt.degrees > 0) flat = await tiltPixels(flat, bg, W, H, tilt);
  img = sharp(flat, { raw: { width: W, height: H, channels: 3 } })
    .modulate({ brightness: 0.65 + rand() * 0.6, saturation: 0.6 + rand() * 0.8, hue: Math.round((rand() - 0.5) * 40) })
    .linear([0.85 + rand() * 0.3, 0.85 + rand() * 0.3, 0.85 + rand() * 0.3], [(rand() - 0.5) * 30, (rand() - 0.5) * 30, (rand() - 0.5) * 30]);
  if (rand() < 0.7) img = img.blur(0.3 + rand() * 1.7);
  return img.jpeg({ quality: 30 + Math.floor(rand() * 51) }).toBuffer();
}

export async function makeLookupBench(o: LookupBenchOptions): Promise<{ catalogCsv: string; queriesCsv: string; distractorsCsv: string }> {
  const { catalog, clutter, rest, seen } = await chooseSources(o.products, 300, o.catalogSeed);
  await mkdir(path.join(o.out, 'images'), { recursive: true });
  const catalogCsv = path.join(o.out, 'catalog.csv');
  const ids = catalog.map((_, i) => `p${String(i + 1).padStart(5, '0')}`);
  if (!o.queriesOnly) {
    const rows = ['id,title,category,price,currency,image'];
    for (const [i, s] of catalog.entries()) {
      await writeFile(path.join(o.out, 'images', `${ids[i]}.jpg`), await catalogImage(s));
      const title = path.basename(s.file, '.png').replace(/[_-]+/g, ' ').replace(/[",]/g, '').trim();
      const category = path.relative(SOURCE_ROOT, path.dirname(s.file)).split(path.sep)[0] ?? 'misc';
      rows.push(`${ids[i]},"${title}",${category},${(5 + (i % 90)).toFixed(2)},EUR,images/${ids[i]}.jpg`);
    }
    if ((o.fillers ?? 0) > 0) {
      const fillers = await fillerImages(o.fillers!, rest, seen, clutter, catalog);
      for (const [i, f] of fillers.entries()) {
        const id = `f${String(i + 1).padStart(5, '0')}`;
        await writeFile(path.join(o.out, 'images', `${id}.jpg`), f.bytes);
        rows.push(`${id},"${f.title}",${f.category},${(5 + (i % 90)).toFixed(2)},EUR,images/${id}.jpg`);
      }
    }
    await writeFile(catalogCsv, `${rows.join('\n')}\n`);
  }
  const rand = seededRandom(o.seed * 7919 + 17);
  const dir = path.join(o.out, o.name);
  await mkdir(dir, { recursive: true });
  const qrows = ['image,expected'];
  // Copies of one drawing in the catalog (same silhouette and same drawing, or the same image to
  // any light: sameImage) are the same product to any lookup: each query accepts all of them.
  const copies = catalog.map((a, i) => catalog.flatMap((b, j) => (j !== i && ((hammingDistance(a.shapeHash, b.shapeHash) <= 4 && hammingDistance(a.greyHash, b.greyHash) <= 4) || sameImage(a, b)) ? [ids[j]!] : [])));
  const order = Array.from({ length: catalog.length }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  // Tilts come from a stream of their own: without --tilt the photos are byte for byte as before.
  const tiltRand = seededRandom(o.seed * 104729 + 31);
  const nextTilt = (): Tilt | undefined => {
    const t = { degrees: tiltRand() * (o.tilt ?? 0), axis: tiltRand() * Math.PI };
    return o.tilt ? t : undefined;
  };
  for (let q = 0; q < o.queries; q++) {
    const p = order[q % order.length]!;
    const file = `${o.name}/q${String(q + 1).padStart(4, '0')}.jpg`;
    await writeFile(path.join(o.out, file), await shopperPhoto(catalog[p]!, clutter, rand, nextTilt()));
    qrows.push(`${file},${[ids[p]!, ...copies[p]!].join('|')}`);
  }
  const drows = ['image'];
  for (let d = 0; d < o.distractors; d++) {
    const file = `${o.name}/d${String(d + 1).padStart(4, '0')}.jpg`;
    await writeFile(path.join(o.out, file), await shopperPhoto(null, clutter, rand, nextTilt()));
    drows.push(file);
  }
  const queriesCsv = path.join(o.out, `${o.name}.csv`);
  const distractorsCsv = path.join(o.out, `${o.name}-distractors.csv`);
  await writeFile(queriesCsv, `${qrows.join('\n')}\n`);
  await writeFile(distractorsCsv, `${drows.join('\n')}\n`);
  return { catalogCsv, queriesCsv, distractorsCsv };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: '/tmp/shoplens-lookup' },
      products: { type: 'string', default: '1000' },
      queries: { type: 'string', default: '300' },
      distractors: { type: 'string', default: '50' },
      seed: { type: 'string', default: '1' },
      'catalog-seed': { type: 'string', default: '1' },
      name: { type: 'string', default: 'queries' },
      'queries-only': { type: 'boolean', default: false },
      fillers: { type: 'string', default: '0' },
      tilt: { type: 'string', default: '0' },
    },
  });
  const started = Date.now();
  const r = await makeLookupBench({
    out: values.out, products: Number(values.products), queries: Number(values.queries), distractors: Number(values.distractors),
    seed: Number(values.seed), catalogSeed: Number(values['catalog-seed']), name: values.name, queriesOnly: values['queries-only'], fillers: Number(values.fillers), tilt: Number(values.tilt),
  });
  console.log(JSON.stringify({ ...r, seconds: (Date.now() - started) / 1000 }));
}
