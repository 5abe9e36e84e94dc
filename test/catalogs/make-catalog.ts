/**
 * Generates a large synthetic catalog for ingest tests and benchmarks: N rows of product-like
 * images (random shapes and patterns on white, rendered from SVG by sharp) of which exactly
 * `broken` rows are broken in the ways real shop exports are broken.
 *
 *   npx tsx test/catalogs/make-catalog.ts --out /tmp/cat --rows 1000 --broken 10 [--seed 1]
 *
 * Writes <out>/catalog.csv, <out>/images/ and <out>/expected-broken.json. Row numbers are the
 * CSV line numbers of the data rows (the header is line 1, the first data row is row 2); no
 * field contains a line break, so line and row numbers agree.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { pick, seededRandom } from '../../src/eval/random.js';

export type BrokenKind =
  | 'missing-image-file'
  | 'corrupt-jpeg'
  | 'text-as-jpeg'
  | 'bad-price-text'
  | 'bad-price-negative'
  | 'missing-title'
  | 'empty-id'
  | 'duplicate-id'
  | 'wrong-column-count'
  | 'png-bomb-header'
  | 'unsupported-format-bmp'
  | 'unsupported-format-svg';

/**
 * Broken rows cycle through this list in order: ten broken rows cover every kind of break
 * (bad price and unsupported format each once), twelve cover every variant.
 */
export const BROKEN_KINDS: readonly BrokenKind[] = [
  'missing-image-file',
  'corrupt-jpeg',
  'text-as-jpeg',
  'bad-price-text',
  'missing-title',
  'empty-id',
  'duplicate-id',
  'wrong-column-count',
  'png-bomb-header',
  'unsupported-format-bmp',
  'bad-price-negative',
  'unsupported-format-svg',
];

export interface BrokenRow {
  /** 1-based CSV line number of the data row (header is line 1). */
  row: number;
  kind: BrokenKind;
  /** The id written in the row ('' for empty-id; the repeated id for duplicate-id). */
  id: string;
  detail: string;
}

export interface MakeCatalogOptions {
  out: string;
  rows: number;
  broken: number;
  seed?: number;
  /** Side of the generated JPEGs; 256 unless told. */
  imageSize?: number;
}

export interface MakeCatalogResult {
  catalogPath: string;
  imagesDir: string;
  expectedPath: string;
  rows: number;
  brokenRows: BrokenRow[];
}

const HEADER = ['id', 'title', 'brand', 'category', 'price', 'currency', 'image', 'color', 'material'] as const;
const BRANDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Tyrell', 'Cyberdyne'];
/** Indexed by the silhouette productSvg draws, so a row's category matches its picture. */
const CATEGORIES = ['bags', 'balls', 'bottles', 'shirts', 'mugs', 'shoes'];
const MATERIALS = ['cotton', 'leather', 'steel', 'glass', 'wood', 'ceramic', 'plastic', 'wool'];
const PALETTE: Array<[string, string]> = [
  ['red', '#d62828'], ['orange', '#f77f00'], ['yellow', '#fcbf49'], ['green', '#2a9d8f'],
  ['lime', '#80b918'], ['blue', '#1d4ed8'], ['navy', '#14213d'], ['purple', '#7b2cbf'],
  ['pink', '#ff70a6'], ['brown', '#8d5524'], ['black', '#111111'], ['gray', '#8d99ae'],
  ['teal', '#118ab2'], ['maroon', '#6a040f'], ['olive', '#606c38'], ['beige', '#e9c46a'],
];
const NOUNS = ['Tote', 'Ball', 'Bottle', 'Shirt', 'Mug', 'Sneaker'];



function int(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * A product-like picture: one main silhouette filled with a pattern, a couple of accent shapes,
 * and a bar code that encodes the image number, so no two images are alike even when the random
 * choices coincide.
 */
export function productSvg(
  seed: number,
  serial: number,
  size: number,
): { svg: string; colour: string; shape: number } {
  const rand = seededRandom(seed);
  const [colourName, main] = pick(rand, PALETTE);
  const [, accent] = pick(rand, PALETTE);
  const [, second] = pick(rand, PALETTE);
  const s = 256;
  const patternKind = int(rand, 0, 3);
  const ps = int(rand, 8, 28);
  const angle = int(rand, 0, 179);
  const pattern =
    patternKind === 0
      ? `<rect width="${ps}" height="${ps}" fill="${main}"/>`
      : patternKind === 1
        ? `<rect width="${ps}" height="${ps}" fill="${main}"/><rect width="${ps / 2}" height="${ps}" fill="${accent}"/>`
        : patternKind === 2
          ? `<rect width="${ps}" height="${ps}" fill="${main}"/><circle cx="${ps / 2}" cy="${ps / 2}" r="${ps / 4}" fill="${accent}"/>`
          : `<rect width="${ps}" height="${ps}" fill="${main}"/><rect width="${ps / 2}" height="${ps / 2}" fill="${accent}"/><rect x="${ps / 2}" y="${ps / 2}" width="${ps / 2}" height="${ps / 2}" fill="${accent}"/>`;
  const cx = int(rand, 110, 146);
  const cy = int(rand, 110, 146);
  const w = int(rand, 90, 170);
  const h = int(rand, 90, 170);
  const shapeKind = int(rand, 0, 5);
  const fill = 'fill="url(#p)" stroke="#222" stroke-width="3"';
  let body: string;
  switch (shapeKind) {
    case 0: // box / bag
      body = `<rect x="${cx - w / 2}" y="${cy - h / 2}" width="${w}" height="${h}" rx="${int(rand, 0, 30)}" ${fill}/>` +
        `<path d="M${cx - w / 4} ${cy - h / 2} q${w / 4} -${int(rand, 20, 50)} ${w / 2} 0" fill="none" stroke="${second}" stroke-width="6"/>`;
      break;
    case 1: // ball
      body = `<circle cx="${cx}" cy="${cy}" r="${Math.min(w, h) / 2}" ${fill}/>`;
      break;
    case 2: // bottle
      body = `<rect x="${cx - w / 4}" y="${cy - h / 3}" width="${w / 2}" height="${(h * 5) / 6}" rx="14" ${fill}/>` +
        `<rect x="${cx - 10}" y="${cy - h / 3 - 36}" width="20" height="38" fill="${second}" stroke="#222" stroke-width="2"/>`;
      break;
    case 3: // shirt
      body = `<path d="M${cx - w / 2} ${cy - h / 3} l${w / 4} -${h / 6} h${w / 2} l${w / 4} ${h / 6} l-${w / 8} ${h / 6} l-${w / 8} -${h / 12} v${h / 2} h-${w / 2} v-${h / 2} l-${w / 8} ${h / 12} z" ${fill}/>`;
      break;
    case 4: // mug
      body = `<rect x="${cx - w / 3}" y="${cy - h / 3}" width="${(w * 2) / 3}" height="${(h * 2) / 3}" rx="8" ${fill}/>` +
        `<circle cx="${cx + w / 3}" cy="${cy}" r="${h / 6}" fill="none" stroke="${second}" stroke-width="8"/>`;
      break;
    default: {
      // shoe-ish
      body = `<path d="M${cx - w / 2} ${cy + h / 4} v-${h / 3} q${w / 4} 0 ${w / 3} -${h / 4} l${w / 6} ${h / 6} q${w / 4} ${h / 6} ${w / 2} ${h / 4} v${h / 6} z" ${fill}/>`;
    }
  }
  const accents: string[] = [];
  for (let i = int(rand, 1, 3); i > 0; i--) {
    const [, c] = pick(rand, PALETTE);
    const x = int(rand, 20, 236);
    const y = int(rand, 20, 200);
    const r = int(rand, 6, 22);
    accents.push(
      rand() < 0.5
        ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${c}" opacity="0.85"/>`
        : `<rect x="${x - r}" y="${y - r}" width="${2 * r}" height="${r}" fill="${c}" transform="rotate(${int(rand, 0, 90)} ${x} ${y})"/>`,
    );
  }
  // 16-bit serial as a bar code along the bottom edge.
  const bars: string[] = [];
  for (let bit = 0; bit < 16; bit++) {
    const on = (serial >> bit) & 1;
    bars.push(`<rect x="${48 + bit * 10}" y="232" width="${on ? 7 : 3}" height="16" fill="#333"/>`);
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${s} ${s}">` +
    `<defs><pattern id="p" width="${ps}" height="${ps}" patternUnits="userSpaceOnUse" patternTransform="rotate(${angle})">${pattern}</pattern></defs>` +
    `<rect width="${s}" height="${s}" fill="#ffffff"/>${accents.join('')}${body}${bars.join('')}</svg>`;
  return { svg, colour: colourName, shape: shapeKind };
}

async function renderJpeg(seed: number, serial: number, size: number): Promise<{ jpeg: Buffer; colour: string }> {
  const { svg, colour } = productSvg(seed, serial, size);
  const jpeg = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).jpeg({ quality: 82 }).toBuffer();
  return { jpeg, colour };
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A valid PNG header announcing 30000×30000 RGB (2.7 GB decoded) followed by a tiny IDAT: a
 * decoder that trusts the header before checking limits would try to allocate it all.
 */
export function pngBomb(side = 30_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const firstRows = deflateSync(Buffer.alloc((side * 3 + 1) * 2), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', firstRows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An 8×8 24-bit BMP: a real image in a format the pipeline does not accept. */
export function tinyBmp(side = 8): Buffer {
  const rowBytes = Math.ceil((side * 3) / 4) * 4;
  const pixels = rowBytes * side;
  const buf = Buffer.alloc(54 + pixels, 0xff);
  buf.write('BM', 0, 'ascii');
  buf.writeUInt32LE(54 + pixels, 2);
  buf.writeUInt32LE(0, 6);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(side, 18);
  buf.writeInt32LE(side, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  buf.writeUInt32LE(0, 30);
  buf.writeUInt32LE(pixels, 34);
  return buf;
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface PlannedRow {
  index: number; // 0-based data row index
  id: string;
  title: string;
  brand: string;
  category: string;
  price: string;
  image: string;
  color: string;
  material: string;
  /** Images to render as valid JPEGs: [file name, serial]. */
  render: Array<[string, number]>;
  broken?: BrokenRow;
  /** Raw CSV line, when the break is in the row's shape rather than its fields. */
  rawLine?: string;
}

/** Writes the catalog; see the file comment. Deterministic for a given seed. */
export async function makeCatalog(options: MakeCatalogOptions): Promise<MakeCatalogResult> {
  const { out, rows, broken } = options;
  const seed = options.seed ?? 1;
  const size = options.imageSize ?? 256;
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`rows must be a positive integer, got ${rows}`);
  if (!Number.isInteger(broken) || broken < 0) throw new Error(`broken must be a non-negative integer, got ${broken}`);
  // Row 2 stays valid so a duplicate id always has an earlier, valid original.
  if (broken > rows - 1) throw new Error(`broken (${broken}) must be less than rows (${rows})`);

  const rand = seededRandom(seed);
  const imagesDir = path.join(out, 'images');
  await rm(imagesDir, { recursive: true, force: true });
  await mkdir(imagesDir, { recursive: true });

  // Choose the broken row indices (never index 0), then assign kinds in row order.
  const pool = Array.from({ length: rows - 1 }, (_, i) => i + 1);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const brokenIndices = pool.slice(0, broken).sort((a, b) => a - b);
  const kindByIndex = new Map<number, BrokenKind>();
  brokenIndices.forEach((index, i) => kindByIndex.set(index, BROKEN_KINDS[i % BROKEN_KINDS.length]!));

  const planned: PlannedRow[] = [];
  for (let index = 0; index < rows; index++) {
    const r = seededRandom(seed * 1_000_003 + index);
    const id = `sku-${String(index + 1).padStart(6, '0')}`;
    const material = pick(r, MATERIALS);
    const brand = pick(r, BRANDS);
    const price = (int(r, 199, 24_999) / 100).toFixed(2);
    const imageSeed = seed * 7_919 + index * 104_729 + 17;
    const serial = (index + 1) & 0xffff;
    const { colour, shape: categoryIdx } = productSvg(imageSeed, serial, size);
    const title = `${colour[0]!.toUpperCase()}${colour.slice(1)} ${material} ${NOUNS[categoryIdx]!} ${index + 1}`;
    const image = `images/${id}.jpg`;
    const row: PlannedRow = {
      index,
      id,
      title,
      brand,
      category: CATEGORIES[categoryIdx]!,
      price,
      image,
      color: colour,
      material,
      render: [[`${id}.jpg`, imageSeed]],
    };
    // A few valid rows carry a second image, as real catalogs do.
    if (!kindByIndex.has(index) && index % 25 === 3) {
      row.render.push([`${id}-b.jpg`, imageSeed + 1]);
      row.image = `${image}|images/${id}-b.jpg`;
    }
    const kind = kindByIndex.get(index);
    if (kind) applyBreak(row, kind, planned, r);
    planned.push(row);
  }

  // Images: valid JPEGs for every planned render, plus the broken files.
  const jobs: Array<[string, number, number]> = [];
  for (const row of planned) for (const [file, s] of row.render) jobs.push([file, s, (row.index + 1) & 0xffff]);
  await mapLimit(jobs, 4, async ([file, s, serial]) => {
    const { jpeg } = await renderJpeg(s, serial, size);
    await writeFile(path.join(imagesDir, file), jpeg);
  });
  for (const row of planned) {
    const b = row.broken;
    if (!b) continue;
    const file = path.join(out, row.image);
    switch (b.kind) {
      case 'corrupt-jpeg': {
        const { jpeg } = await renderJpeg(seed + row.index, (row.index + 1) & 0xffff, size);
        await writeFile(file, jpeg.subarray(0, Math.floor(jpeg.length * 0.35)));
        break;
      }
      case 'text-as-jpeg':
        await writeFile(file, 'This is not an image. Export error 0x80070057.\n');
        break;
      case 'png-bomb-header':
        await writeFile(file, pngBomb());
        break;
      case 'unsupported-format-bmp':
        await writeFile(file, tinyBmp());
        break;
      case 'unsupported-format-svg': {
        const { svg } = productSvg(seed + row.index, (row.index + 1) & 0xffff, size);
        await writeFile(file, svg);
        break;
      }
      default:
        break;
    }
  }

  const lines = [HEADER.join(',')];
  for (const row of planned) {
    lines.push(
      row.rawLine ??
        [row.id, row.title, row.brand, row.category, row.price, 'EUR', row.image, row.color, row.material]
          .map(csvField)
          .join(','),
    );
  }
  const catalogPath = path.join(out, 'catalog.csv');
  await writeFile(catalogPath, lines.join('\n') + '\n');

  const brokenRows = planned.flatMap((r) => (r.broken ? [r.broken] : []));
  const expectedPath = path.join(out, 'expected-broken.json');
  await writeFile(
    expectedPath,
    JSON.stringify(
      {
        rows,
        seed,
        note: 'row = CSV line number of the data row; the header is line 1, the first data row is row 2',
        broken: brokenRows,
      },
      null,
      2,
    ) + '\n',
  );
  return { catalogPath, imagesDir, expectedPath, rows, brokenRows };
}

function applyBreak(row: PlannedRow, kind: BrokenKind, earlier: PlannedRow[], r: () => number): void {
  const line = row.index + 2;
  const mark = (detail: string): void => {
    row.broken = { row: line, kind, id: row.id, detail };
  };
  switch (kind) {
    case 'missing-image-file':
      row.render = [];
      mark(`${row.image} does not exist`);
      break;
    case 'corrupt-jpeg':
      row.render = [];
      mark(`${row.image} is a JPEG truncated to 35% of its bytes`);
      break;
    case 'text-as-jpeg':
      row.render = [];
      mark(`${row.image} is a text file`);
      break;
    case 'bad-price-text':
      row.price = 'abc';
      mark('price is "abc"');
      break;
    case 'bad-price-negative':
      row.price = '-5';
      mark('price is -5');
      break;
    case 'missing-title':
      row.title = '';
      mark('title is empty');
      break;
    case 'empty-id':
      row.id = '';
      mark('id is empty');
      break;
    case 'duplicate-id': {
      // Repeat the id of an earlier valid row; this (later) row is the broken one.
      const candidates = earlier.filter((e) => !e.broken);
      const original = candidates[Math.floor(r() * candidates.length)] ?? earlier[0]!;
      row.id = original.id;
      mark(`id ${original.id} already used on row ${original.index + 2}`);
      break;
    }
    case 'wrong-column-count': {
      const fields = [row.id, row.title, row.brand, row.category, row.price, 'EUR', row.image, row.color, row.material];
      // Alternate between a missing and an extra field.
      const changed = row.index % 2 === 0 ? fields.slice(0, -2) : [...fields, 'unexpected'];
      row.rawLine = changed.map(csvField).join(',');
      mark(`${changed.length} fields instead of ${fields.length}`);
      break;
    }
    case 'png-bomb-header':
      row.render = [];
      row.image = `images/${row.id}.png`;
      mark(`${row.image} is a ${pngBomb().length}-byte PNG whose header claims 30000x30000`);
      break;
    case 'unsupported-format-bmp':
      row.render = [];
      row.image = `images/${row.id}.bmp`;
      mark(`${row.image} is a BMP`);
      break;
    case 'unsupported-format-svg':
      row.render = [];
      row.image = `images/${row.id}.svg`;
      mark(`${row.image} is an SVG`);
      break;
  }
}

function parseArgs(argv: string[]): MakeCatalogOptions {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = get('out');
  if (!out) throw new Error('usage: make-catalog.ts --out <dir> [--rows 1000] [--broken 10] [--seed 1]');
  return {
    out: path.resolve(out),
    rows: Number(get('rows') ?? 1000),
    broken: Number(get('broken') ?? 10),
    seed: Number(get('seed') ?? 1),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const result = await makeCatalog(options);
  console.log(
    `wrote ${result.catalogPath}: ${result.rows} rows, ${result.brokenRows.length} broken ` +
      `(${[...new Set(result.brokenRows.map((b) => b.kind))].join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
