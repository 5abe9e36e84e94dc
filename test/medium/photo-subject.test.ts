import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { decodeImage } from '../../src/imaging/index.js';
import { openShoplens, type Shoplens } from '../../src/main.js';
import { tempDir } from './shoplens.factory.js';

// Products: a shape filled with stripes of two colours, outlined; on white in the catalogue.
const SHAPES = [
  '<circle cx="100" cy="100" r="80"/>',
  '<rect x="30" y="45" width="140" height="110" rx="18"/>',
  '<polygon points="100,18 182,170 18,170"/>',
  '<polygon points="100,15 124,75 188,78 138,118 156,182 100,146 44,182 62,118 12,78 76,75"/>',
  '<ellipse cx="100" cy="100" rx="88" ry="50"/>',
  '<polygon points="60,20 140,20 185,100 140,180 60,180 15,100"/>',
];
const COLOURS = [['#d62828', '#fcbf49'], ['#1d3557', '#a8dadc'], ['#2a9d8f', '#e9c46a'], ['#6a4c93', '#f72585'], ['#283618', '#dda15e'], ['#0077b6', '#ff006e']];

function productSvg(i: number, background: boolean): Buffer {
  const [a, b] = COLOURS[i % COLOURS.length]!;
  const shape = SHAPES[Math.floor(i / COLOURS.length) % SHAPES.length]!;
  const stripes = 8 + (i % 4) * 6;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200">` +
      `<defs><pattern id="p" width="${stripes * 2}" height="${stripes * 2}" patternUnits="userSpaceOnUse" patternTransform="rotate(${(i * 37) % 180})">` +
      `<rect width="${stripes * 2}" height="${stripes * 2}" fill="${a}"/><rect width="${stripes}" height="${stripes * 2}" fill="${b}"/></pattern>` +
      `<clipPath id="c">${shape}</clipPath></defs>` +
      (background ? '<rect width="200" height="200" fill="#ffffff"/>' : '') +
      `<g clip-path="url(#c)"><rect width="200" height="200" fill="url(#p)"/></g>` +
      `<g fill="none" stroke="#111111" stroke-width="5">${shape}</g></svg>`,
  );
}

/** A phone photo of product i on a wooden table (two tints in wavy bands, a light gradient, grain). */
async function tablePhoto(i: number, at: { x: number; y: number; side: number }): Promise<Buffer> {
  const W = 640, H = 480;
  const bg = Buffer.alloc(W * H * 3);
  let n = 12345 + i;
  const noise = () => ((n = (n * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 14;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const t = 0.5 + 0.5 * Math.sin((y + 5 * Math.sin(x / 35)) / 9);
    const shade = (x / W) * 25 - (y / H) * 15 + noise();
    const o = (y * W + x) * 3;
    bg[o] = 150 - 30 * t + shade; bg[o + 1] = 110 - 25 * t + shade; bg[o + 2] = 70 - 15 * t + shade;
  }
  const product = await sharp(productSvg(i, false)).resize(at.side, at.side).rotate(12, { background: { r: 0, g: 0, b: 0, alpha: 0 } }).png().toBuffer();
  return sharp(bg, { raw: { width: W, height: H, channels: 3 } })
    .composite([{ input: product, left: at.x, top: at.y }])
    .modulate({ brightness: 0.9 })
    .jpeg({ quality: 75 })
    .toBuffer();
}

describe('a phone photo of a product on a table is searched by its main subject', () => {
  let dir: string;
  let shoplens: Shoplens;
  const N = 24;
  const placements = [{ x: 60, y: 80, side: 200 }, { x: 360, y: 200, side: 230 }, { x: 220, y: 40, side: 180 }, { x: 400, y: 60, side: 210 }];
  const photos: Buffer[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    await mkdir(path.join(dir, 'cat'), { recursive: true });
    const rows = ['id,title,image'];
    for (let i = 0; i < N; i++) {
      await writeFile(path.join(dir, 'cat', `p${i}.jpg`), await sharp(productSvg(i, true)).resize(400, 400).jpeg({ quality: 90 }).toBuffer());
      rows.push(`p${i},Product ${i},p${i}.jpg`);
    }
    await writeFile(path.join(dir, 'cat', 'catalog.csv'), `${rows.join('\n')}\n`);
    // The default configuration: global features only (product lookup off).
    shoplens = await openShoplens(loadConfig({ dataDir: path.join(dir, 'data') }, {}));
    expect((await shoplens.ingest.ingest(path.join(dir, 'cat', 'catalog.csv'))).created).toBe(N);
    for (const [k, at] of placements.entries()) photos.push(await tablePhoto(5 * k + 3, at));
  });

  /** The first product by the global features of the whole photo, straight from the index. */
  async function wholePhotoFirst(bytes: Buffer): Promise<string | undefined> {
    const photo = await decodeImage(bytes, undefined, { maxSide: 512, largeImageSide: shoplens.extractor.queryDecodeSide });
    await shoplens.indexSync.refresh();
    const [first] = shoplens.indexSync.index.search(await shoplens.extractor.extract(photo), 1);
    return first ? (await shoplens.store.getImages([first.key])).get(first.key)?.productId : undefined;
  }

  afterAll(async () => {
    await shoplens.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the product first and reports the subject box around it; the whole photo does not', async () => {
    let wholeFirst = 0;
    for (const [k, at] of placements.entries()) {
      const id = `p${5 * k + 3}`;
      const r = await shoplens.search.searchByImage(photos[k]!, { k: 5 });
      expect(r.hits[0]?.product.id, id).toBe(id);
      const box = r.subject!;
      expect(box, id).toBeDefined();
      // The box holds the placed product (its centre, and most of it) and not much more.
      const cx = (at.x + at.side / 2) / 640, cy = (at.y + at.side / 2) / 480;
      expect(cx).toBeGreaterThan(box.x);
      expect(cx).toBeLessThan(box.x + box.width);
      expect(cy).toBeGreaterThan(box.y);
      expect(cy).toBeLessThan(box.y + box.height);
      expect(box.width * 640).toBeGreaterThan(0.7 * at.side);
      expect(box.width * box.height).toBeLessThan(0.5);
      // The same photo described whole, as search did before: the table dominates.
      if ((await wholePhotoFirst(photos[k]!)) === id) wholeFirst++;
    }
    expect(wholeFirst).toBeLessThan(placements.length);
  });

  it('cuts the subject out within the shopper\'s box too, and reports it as fractions of the photo', async () => {
    const crop = { x: 0.02, y: 0.05, width: 0.55, height: 0.7 };
    const boxed = await shoplens.search.searchByImage(photos[0]!, { k: 3, crop });
    expect(boxed.hits[0]?.product.id).toBe('p3');
    const box = boxed.subject!;
    expect(box.x).toBeGreaterThanOrEqual(crop.x);
    expect(box.y).toBeGreaterThanOrEqual(crop.y);
    expect(box.x + box.width).toBeLessThanOrEqual(crop.x + crop.width + 1e-9);
    // It holds the product: a disc of 160 px around (60 + 115, 80 + 115) px of the 640 × 480 photo.
    expect(box.x * 640).toBeLessThan(100);
    expect((box.x + box.width) * 640).toBeGreaterThan(250);
    expect(box.y * 480).toBeLessThan(120);
    expect((box.y + box.height) * 480).toBeGreaterThan(270);
    expect(box.width * box.height).toBeLessThan(0.6 * crop.width * crop.height);
  });

  it('searches a product shot (a clean backdrop) as it is, with or without a box', async () => {
    const shot = await sharp(productSvg(7, true)).resize(400, 400).jpeg({ quality: 90 }).toBuffer();
    const r = await shoplens.search.searchByImage(shot, { k: 3 });
    expect(r.hits[0]?.product.id).toBe('p7');
    expect(r.subject).toBeUndefined();
    const boxed = await shoplens.search.searchByImage(shot, { k: 3, crop: { x: 0.1, y: 0.1, width: 0.7, height: 0.6 } });
    expect(boxed.subject).toBeUndefined();
  });
});
