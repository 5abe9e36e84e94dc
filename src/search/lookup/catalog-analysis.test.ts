import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeLocalFeatures, encodeLocalFeatures, extractLocalFeatures, type LocalFeatures } from '../../features/local/local-features.js';
import { decodeImage } from '../../imaging/index.js';
import { analyseCatalogImage, CatalogAnalysisWorker } from './catalog-analysis.js';
import { asWords, hamming } from './hamming.js';
import { DEFAULT_LOOKUP_OPTIONS } from './lookup.service.js';

/** A flat drawing (filled shapes, like a flag or a sticker) on `background` (a colour or 'gradient'), 400×400, optionally blurred as a photo. */
async function drawing(background: string, blur = 0): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400">
    <defs><linearGradient id="g"><stop offset="0" stop-color="#202020"/><stop offset="1" stop-color="#e0e0e0"/></linearGradient></defs>
    <rect width="400" height="400" fill="${background === 'gradient' ? 'url(#g)' : background}"/>
    <polygon points="200,40 240,150 360,150 262,220 300,340 200,268 100,340 138,220 40,150 160,150" fill="#e0b020"/>
    <rect x="60" y="300" width="90" height="60" fill="#c04040"/>
    <rect x="260" y="40" width="100" height="40" fill="#4080c0"/>
    <circle cx="320" cy="330" r="35" fill="#60a060"/>
  </svg>`;
  const img = sharp(Buffer.from(svg));
  return (blur > 0 ? img.blur(blur) : img).jpeg({ quality: blur > 0 ? 60 : 90 }).toBuffer();
}

const decode = async (bytes: Buffer) => decodeImage(bytes, undefined, { maxSide: 512 });

/** Catalog keypoints that a query keypoint repeats: within 2 px, descriptors within 40 bits. */
function repeated(catalog: LocalFeatures, from: number, to: number, query: LocalFeatures): number {
  const c = asWords(catalog.descriptors), q = asWords(query.descriptors);
  let n = 0;
  for (let j = from; j < to; j++) {
    for (let i = 0; i < query.count; i++) {
      const dx = catalog.xy[2 * j]! - query.xy[2 * i]!, dy = catalog.xy[2 * j + 1]! - query.xy[2 * i + 1]!;
      if (dx * dx + dy * dy <= 4 && hamming(c, j, q, i) <= 40) { n++; break; }
    }
  }
  return n;
}

describe('analyseCatalogImage', () => {
  // The backdrop tests look at the backdrop keypoints alone (the colour keypoints come after them).
  const options = { ...DEFAULT_LOOKUP_OPTIONS, colourKeypoints: { ...DEFAULT_LOOKUP_OPTIONS.colourKeypoints, catalog: 0 } };

  it('adds the keypoints of the product on each grey backdrop, and none to a picture without a plain backdrop', async () => {
    const onWhite = await decode(await drawing('#ffffff'));
    const plain = await analyseCatalogImage(onWhite, { ...options, backdropKeypoints: 0 });
    const full = await analyseCatalogImage(onWhite, options);
    const extra = full.count - plain.count;
    expect(extra).toBeGreaterThan(options.backdropLevels.length * options.backdropKeypoints * 0.5);
    expect(extra).toBeLessThanOrEqual(options.backdropLevels.length * options.backdropKeypoints);
    // The first keypoints are the same analysis as without backdrops.
    expect(Buffer.from(full.descriptors.subarray(0, plain.descriptors.length)).equals(Buffer.from(plain.descriptors))).toBe(true);
    expect(full.angles).toHaveLength(full.count);
    expect(full.colours?.width).toBe(48);

    // A black studio backdrop is painted mid grey and white instead.
    const onBlack = await decode(await drawing('#000000'));
    expect((await analyseCatalogImage(onBlack, options)).count).toBeGreaterThan((await analyseCatalogImage(onBlack, { ...options, backdropKeypoints: 0 })).count + options.backdropKeypoints);

    const onGradient = await decode(await drawing('gradient'));
    const noBackdrop = await analyseCatalogImage(onGradient, options);
    expect(noBackdrop.count).toBe((await analyseCatalogImage(onGradient, { ...options, backdropKeypoints: 0 })).count);
  });

  it('its backdrop keypoints are the ones a photo of a flat product on a dark table repeats, its others those of a light table', async () => {
    const onWhite = await decode(await drawing('#ffffff'));
    const catalog = await analyseCatalogImage(onWhite, options);
    const plainCount = (await analyseCatalogImage(onWhite, { ...options, backdropKeypoints: 0 })).count;
    const photoOn = async (table: string) => extractLocalFeatures(await decode(await drawing(table, 1.2)), { ...options.queryDetection, maxKeypoints: options.queryKeypoints });
    // The outline's descriptors compare the drawing with what lies around it: lighter on white,
    // darker on a dark table (measured: 3 of the keypoints as they are, 137 of the backdrop ones).
    const dark = await photoOn('#4a3c30');
    const darkAsIs = repeated(catalog, 0, plainCount, dark), darkGrey = repeated(catalog, plainCount, catalog.count, dark);
    expect(darkGrey).toBeGreaterThan(5 * darkAsIs + 20);
    // On a light table (27 against 8) the keypoints of the image as it is still do the work.
    const light = await photoOn('#c0b0a0');
    expect(repeated(catalog, 0, plainCount, light)).toBeGreaterThan(repeated(catalog, plainCount, catalog.count, light));
  });

  it('adds the yellow–blue channel\'s keypoints after all others, keyed, and none for a grey product', async () => {
    const label = async (mark: string) => decode(await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400">
      <rect width="400" height="400" fill="#ffffff"/><rect x="40" y="40" width="320" height="320" rx="30" fill="#b4b4b4"/>
      <polygon points="80,90 160,90 120,170" fill="${mark}"/><rect x="200" y="80" width="90" height="50" fill="${mark}"/>
      <rect x="90" y="230" width="60" height="90" fill="${mark}"/><polygon points="220,200 320,300 220,300" fill="${mark}"/>
    </svg>`)).png().toBuffer());
    const colour = DEFAULT_LOOKUP_OPTIONS;
    // A yellow of the paper's luma (178 against 180): hardly any corner on luma, many on yellow–blue.
    const yellow = await label('#c8be3c');
    const lumaOnly = await analyseCatalogImage(yellow, options);
    const both = await analyseCatalogImage(yellow, colour);
    expect(both.count - lumaOnly.count).toBeGreaterThan(40); // measured: 96 on four marks' corners
    expect(both.count - lumaOnly.count).toBeLessThanOrEqual(colour.colourKeypoints.catalog);
    expect(Buffer.from(both.descriptors.subarray(0, lumaOnly.descriptors.length)).equals(Buffer.from(lumaOnly.descriptors))).toBe(true);
    expect(decodeLocalFeatures(encodeLocalFeatures(both)).count).toBe(both.count);
    // A grey one has no colour: the channel is flat.
    const grey = await label('#505050');
    expect((await analyseCatalogImage(grey, colour)).count).toBe((await analyseCatalogImage(grey, options)).count);
  });

  it('keeps the colour layout of a product that fills a rectangle on its backdrop, and of no other', async () => {
    const flag = async (background: string) => decode(await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400">
      <rect width="400" height="400" fill="${background}"/>
      <rect x="20" y="80" width="120" height="240" fill="#14a03c"/><rect x="140" y="80" width="120" height="240" fill="#fad214"/><rect x="260" y="80" width="120" height="240" fill="#d21e28"/>
    </svg>`)).jpeg({ quality: 90 }).toBuffer());
    const f = await analyseCatalogImage(await flag('#ffffff'), options);
    expect(f.layout?.aspect).toBeCloseTo(1.5, 1);
    expect(f.layout?.colours).toHaveLength(12 * 12 * 3);
    // Left column green, right column red.
    const [r0, g0] = f.layout!.colours, r1 = f.layout!.colours[3 * 11]!;
    expect(g0).toBeGreaterThan(r0! + 80);
    expect(r1).toBeGreaterThan(180);
    // The drawing's star and shapes fill no rectangle; a flag filling the frame has no backdrop.
    expect((await analyseCatalogImage(await decode(await drawing('#ffffff')), options)).layout).toBeUndefined();
    expect((await analyseCatalogImage(await decode(await drawing('gradient')), options)).layout).toBeUndefined();
  });

  it("keeps the whole layout of a flag whose white half is the backdrop's colour (Monaco), and one colour where nothing says more", async () => {
    const image = async (rects: string) => decode(await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400">
      <rect width="400" height="400" fill="#ffffff"/>${rects}</svg>`)).jpeg({ quality: 90 }).toBuffer());
    // Red over white, centred: only the red half differs from the backdrop.
    const monaco = await analyseCatalogImage(await image('<rect x="40" y="80" width="320" height="120" fill="#ce1126"/>'), options);
    expect(monaco.layout?.aspect).toBeCloseTo(320 / 240, 1);
    const c = monaco.layout!.colours;
    expect(c[0]).toBeGreaterThan(180); // top row red
    expect(c[1]).toBeLessThan(60);
    expect(Array.from(c.subarray(3 * 12 * 11, 3 * 12 * 12)).every((v) => v > 235)).toBe(true); // bottom row white
    // A red card centred in its image stays a red card.
    const card = await analyseCatalogImage(await image('<rect x="40" y="140" width="320" height="120" fill="#ce1126"/>'), options);
    expect(card.layout?.aspect).toBeCloseTo(320 / 120, 1);
  });

  it('keeps the shape of a product of several colours on a plain backdrop, and of none without one', async () => {
    const f = await analyseCatalogImage(await decode(await drawing('#ffffff')), options);
    expect(f.shape!.anchors.length).toBeGreaterThan(0);
    expect(f.shape!.points.length / 2).toBeGreaterThan(100);
    expect(decodeLocalFeatures(encodeLocalFeatures(f)).shape).toEqual(f.shape);
    expect((await analyseCatalogImage(await decode(await drawing('gradient')), options)).shape).toBeUndefined();
  });

  it('keeps the strokes of a coloured line drawing (a red outlined arrow), and none of a filled drawing', async () => {
    const arrow = await decode(await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400">
      <rect width="400" height="400" fill="#ffffff"/>
      <path d="M60 260 V120 H260 V70 L350 160 L260 250 V200 H120 V260 Z" fill="none" stroke="#e03020" stroke-width="6"/></svg>`)).jpeg({ quality: 90 }).toBuffer());
    const f = await analyseCatalogImage(arrow, options);
    expect(f.outline!.strokes.length / 2).toBeGreaterThan(60);
    expect(f.outline!.colour[0]).toBeGreaterThan(180);
    expect(decodeLocalFeatures(encodeLocalFeatures(f)).outline).toEqual(f.outline);
    expect((await analyseCatalogImage(await decode(await drawing('#ffffff')), options)).outline).toBeUndefined();
  });
});

describe('CatalogAnalysisWorker', () => {
  it('analyses two images at a time, one in its worker thread, each to the same bytes as here; then alone once closed', async () => {
    const worker = new CatalogAnalysisWorker();
    try {
      const images = await Promise.all([drawing('white'), drawing('#d0d0d0'), drawing('gradient')].map(async (b) => decode(await b)));
      const here = await Promise.all(images.map(async (img) => encodeLocalFeatures(await analyseCatalogImage(img, DEFAULT_LOOKUP_OPTIONS))));
      // Three callers at once: the first goes to the worker, the others are analysed here meanwhile.
      const both = await Promise.all(images.map((img) => worker.analyse(img, DEFAULT_LOOKUP_OPTIONS)));
      both.forEach((b, i) => expect(Buffer.compare(b, here[i]!), `image ${i}`).toBe(0));
      expect(worker.analysedInWorker).toBe(1);
      expect(decodeLocalFeatures(both[0]!).count).toBeGreaterThan(100);
      await worker.close();
      // Closed (or broken): the work is done on this thread, alike.
      expect(Buffer.compare(await worker.analyse(images[1]!, DEFAULT_LOOKUP_OPTIONS), here[1]!)).toBe(0);
      expect(worker.analysedInWorker).toBe(1);
    } finally {
      await worker.close();
    }
  }, 60_000);
});

