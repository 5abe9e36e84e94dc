/**
 * End-to-end: the real CLI ingests a small catalog into a fresh data directory, the real server
 * serves it, and headless Chromium drives the built web UI the way a shopper would.
 * Needs `npm run build` first (dist/ and web/dist/); `npm test` does that.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'shoplens.js');
const run = promisify(execFile);

function findChromium(): string | null {
  try {
    const found = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
    if (found) return found;
  } catch {
    // not on PATH: try Debian's location below
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
}

const CHROMIUM = findChromium();
if (!CHROMIUM) {
  console.warn('[ui.e2e] SKIPPED: chromium is not installed (apt-get install chromium); CI installs it.');
}

/** Eight products whose pictures differ clearly in shape and colour, so each is its own best match. */
const PRODUCTS = [
  { id: 'e2e-01', title: 'Red Circle Tote', brand: 'Acme', category: 'bags', shape: 'circle', fill: '#d62828' },
  { id: 'e2e-02', title: 'Blue Square Cap', brand: 'Acme', category: 'hats', shape: 'square', fill: '#1d4ed8' },
  { id: 'e2e-03', title: 'Green Triangle Tee', brand: 'Northwind', category: 'shirts', shape: 'triangle', fill: '#15803d' },
  { id: 'e2e-04', title: 'Yellow Star Sneaker', brand: 'Northwind', category: 'shoes', shape: 'star', fill: '#facc15' },
  { id: 'e2e-05', title: 'Purple Stripes Scarf', brand: 'Globex', category: 'scarves', shape: 'stripes', fill: '#7e22ce' },
  { id: 'e2e-06', title: 'Orange Ring Belt', brand: 'Globex', category: 'belts', shape: 'ring', fill: '#ea580c' },
  { id: 'e2e-07', title: 'Teal Checker Sock', brand: 'Initech', category: 'socks', shape: 'checker', fill: '#0d9488' },
  { id: 'e2e-08', title: 'Black Cross Hoodie', brand: 'Initech', category: 'shirts', shape: 'cross', fill: '#111827' },
] as const;

type Shape = (typeof PRODUCTS)[number]['shape'];

function shapeSvg(shape: Shape, fill: string): string {
  const body: Record<Shape, string> = {
    circle: `<circle cx="160" cy="160" r="110" fill="${fill}"/>`,
    square: `<rect x="55" y="55" width="210" height="210" fill="${fill}"/>`,
    triangle: `<polygon points="160,35 290,280 30,280" fill="${fill}"/>`,
    star: `<polygon points="160,25 195,125 300,125 215,190 248,295 160,232 72,295 105,190 20,125 125,125" fill="${fill}"/>`,
    stripes: [0, 1, 2, 3, 4].map((i) => `<rect x="0" y="${20 + i * 60}" width="320" height="30" fill="${fill}"/>`).join(''),
    ring: `<circle cx="160" cy="160" r="100" fill="none" stroke="${fill}" stroke-width="40"/>`,
    checker: Array.from({ length: 16 }, (_, i) => ((i % 4) + Math.floor(i / 4)) % 2 === 0 ? `<rect x="${(i % 4) * 80}" y="${Math.floor(i / 4) * 80}" width="80" height="80" fill="${fill}"/>` : '').join(''),
    cross: `<rect x="125" y="30" width="70" height="260" fill="${fill}"/><rect x="30" y="125" width="260" height="70" fill="${fill}"/>`,
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320"><rect width="320" height="320" fill="#f5f5f0"/>${body[shape]}</svg>`;
}

/**
 * Starts `shoplens serve` (or another command that serves, as `demo`) on a free port and resolves
 * with its base URL once it says it is listening.
 */
function startServer(dataDir: string, command = 'serve', timeoutMs = 30_000): Promise<{ child: ChildProcess; baseUrl: string; logs: () => string }> {
  const child = spawn(process.execPath, [CLI, command, '--data', dataDir, '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const logs = () => `stdout:\n${out}\nstderr:\n${err}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shoplens ${command} did not start within ${timeoutMs / 1000} s\n${logs()}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /shoplens listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ child, baseUrl: m[1].replace(/\/$/, ''), logs });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`shoplens serve exited with code ${code}\n${logs()}`));
    });
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The error, with a full-page screenshot of where it happened saved under the temp directory. */
async function withScreenshot(page: Page, file: string, err: unknown): Promise<Error> {
  const where = path.join(os.tmpdir(), file);
  await page.screenshot({ path: where, fullPage: true }).catch(() => undefined);
  return new Error(`${(err as Error).message}\n(screenshot: ${where})`, { cause: err });
}

/**
 * Runs a test on a new page of `context`, with the page's uncaught errors collected in
 * `pageErrors`; on a failure, a full-page screenshot is saved as `screenshot` (withScreenshot).
 */
async function withPage(context: BrowserContext, screenshot: string, fn: (page: Page, pageErrors: string[]) => Promise<void>): Promise<void> {
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    await fn(page, pageErrors);
  } catch (err) {
    throw await withScreenshot(page, screenshot, err);
  } finally {
    await page.close();
  }
}

/** Waits until the page stops scrolling (on a phone it scrolls smoothly down to the results). */
async function scrollSettled(page: Page): Promise<void> {
  let lastY = -1;
  await expect.poll(async () => {
    const y = await page.evaluate(() => window.scrollY);
    const settled = y === lastY;
    lastY = y;
    return settled;
  }, { timeout: 10_000, interval: 200 }).toBe(true);
}

/** A 640×480 wooden table: two tints in wavy bands, with grain. */
function woodenTable(): Sharp {
  const W = 640, H = 480;
  const table = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const t = 0.5 + 0.5 * Math.sin((y + 5 * Math.sin(x / 35)) / 9);
    const o = (y * W + x) * 3;
    table[o] = 150 - 30 * t + ((x * 13 + y * 7) % 9); table[o + 1] = 110 - 25 * t + ((x * 5 + y * 11) % 9); table[o + 2] = 70 - 15 * t;
  }
  return sharp(table, { raw: { width: W, height: H, channels: 3 } });
}

/** Closes the browser, stops the server and deletes the work directory of a describe block. */
async function tearDown(context: BrowserContext | null, server: { child: ChildProcess } | null, workDir: string): Promise<void> {
  await context?.close();
  if (server) await stopServer(server.child);
  if (workDir) await rm(workDir, { recursive: true, force: true });
}

/**
 * Where an outline drawn on the photo preview (subject-box, match-box) sits, as fractions of the
 * photo: its centre and width. Both read at once: the page may still be scrolling to the results.
 */
async function placedOnPhoto(page: Page, testId: string): Promise<{ cx: number; cy: number; width: number }> {
  return page.evaluate((id) => {
    const i = document.querySelector('[data-testid="crop-stage"] img')!.getBoundingClientRect();
    const o = document.querySelector(`[data-testid="${id}"]`)!.getBoundingClientRect();
    return { cx: (o.x + o.width / 2 - i.x) / i.width, cy: (o.y + o.height / 2 - i.y) / i.height, width: o.width / i.width };
  }, testId);
}

function expectPlaced(placed: { cx: number; cy: number; width: number }, want: { cx: [number, number]; cy: [number, number]; maxWidth: number }): void {
  expect(placed.cx).toBeGreaterThan(want.cx[0]);
  expect(placed.cx).toBeLessThan(want.cx[1]);
  expect(placed.cy).toBeGreaterThan(want.cy[0]);
  expect(placed.cy).toBeLessThan(want.cy[1]);
  expect(placed.width).toBeLessThan(want.maxWidth);
}

async function firstResultId(page: Page): Promise<string | null> {
  return page.getByTestId('result-card').first().getAttribute('data-product-id');
}

/** Chromium with a fresh profile under `dir`, as every test here uses it. */
function launchChromium(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM ?? undefined,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    viewport: { width: 1280, height: 900 },
  });
}

describe.skipIf(!CHROMIUM)('web UI end to end (real CLI, real server, headless Chromium)', () => {
  let workDir = '';
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  let context: BrowserContext | null = null;

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js')) || !existsSync(path.join(ROOT, 'web', 'dist', 'index.html'))) {
      throw new Error('shoplens is not built: run `npm run build` first (`npm test` does it)');
    }
    workDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-e2e-'));
    const catalogDir = path.join(workDir, 'catalog');
    const dataDir = path.join(workDir, 'data');
    await mkdir(path.join(catalogDir, 'images'), { recursive: true });

    const rows = ['id,title,brand,category,price,currency,image,color'];
    for (const [i, p] of PRODUCTS.entries()) {
      await sharp(Buffer.from(shapeSvg(p.shape, p.fill))).jpeg({ quality: 90 }).toFile(path.join(catalogDir, 'images', `${p.id}.jpg`));
      rows.push(`${p.id},${p.title},${p.brand},${p.category},${(19.9 + i * 10).toFixed(2)},EUR,images/${p.id}.jpg,${p.title.split(' ')[0]!.toLowerCase()}`);
    }
    await writeFile(path.join(catalogDir, 'catalog.csv'), `${rows.join('\n')}\n`);

    await run(process.execPath, [CLI, 'ingest', path.join(catalogDir, 'catalog.csv'), '--data', dataDir, '--no-progress'], { cwd: ROOT });
    server = await startServer(dataDir);

    context = await launchChromium(path.join(workDir, 'chromium-profile'));
  }, 120_000);

  afterAll(() => tearDown(context, server, workDir));

  it('finds a product by its own photo, reports a bad upload and keeps working, and shows similar items', async () => {
    const page = context!.pages()[0] ?? (await context!.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const images = path.join(workDir, 'catalog', 'images');

    try {
      // An eight-product catalog ingested without --lookup: the server says lookup is off, and how to turn it on.
      await expect.poll(() => server!.logs(), { timeout: 30_000 }).toMatch(/product lookup off: shoplens ingest --lookup turns it on/);
      // Before any query the catalog is browsable, so the page is never empty.
      await page.goto(`${server!.baseUrl}/`);
      await expect.poll(() => page.getByTestId('browse-card').count(), { timeout: 15_000 }).toBe(PRODUCTS.length);

      // 1. Upload one product's own image: that product comes first.
      const target = PRODUCTS[2];
      await page.getByTestId('file-input').setInputFiles(path.join(images, `${target.id}.jpg`));
      await page.getByTestId('result-card').first().waitFor({ timeout: 15_000 });
      expect(await firstResultId(page)).toBe(target.id);
      await expect.poll(() => page.getByTestId('result-title').first().textContent()).toBe(target.title);
      const scores = await page.getByTestId('result-score').allTextContents();
      expect(scores.length).toBeGreaterThan(1);
      const pct = scores.map((s) => Number(/^(\d{1,3})% match$/.exec(s.trim())?.[1]));
      expect(pct.every(Number.isFinite)).toBe(true);
      expect(pct[0]).toBe(Math.max(...pct));

      // A category filter narrows the results to that category (sent in the multipart `params`).
      const shirts = PRODUCTS.filter((p) => p.category === 'shirts').map((p) => p.id);
      await page.getByRole('checkbox', { name: /^shirts/ }).check();
      await expect
        .poll(async () => (await page.getByTestId('result-card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-product-id')))).sort(), { timeout: 15_000 })
        .toEqual([...shirts].sort());
      await page.getByRole('checkbox', { name: /^shirts/ }).uncheck();
      await expect.poll(() => page.getByTestId('result-card').count(), { timeout: 15_000 }).toBeGreaterThan(shirts.length);
      expect(await firstResultId(page)).toBe(target.id);

      // "Not like this" removes the product, lists it as a removable chip and searches again.
      await page.getByTestId('result-card').first().getByRole('button', { name: /not like this/i }).click();
      await expect.poll(() => page.getByTestId('not-like-chip').count()).toBe(1);
      await expect.poll(() => firstResultId(page), { timeout: 15_000 }).not.toBe(target.id);
      expect(await page.locator(`[data-testid="result-card"][data-product-id="${target.id}"]`).count()).toBe(0);
      await page.getByTestId('not-like-chip').click();
      await expect.poll(() => firstResultId(page), { timeout: 15_000 }).toBe(target.id);

      // 2. A text file named .jpg: the API's error code is shown...
      const fake = path.join(workDir, 'not-an-image.jpg');
      await writeFile(fake, 'this is plain text, not a JPEG\n'.repeat(20));
      await page.getByTestId('file-input').setInputFiles(fake);
      const error = page.getByTestId('search-error');
      await error.waitFor({ timeout: 15_000 });
      expect(await error.textContent()).toContain('UNSUPPORTED_IMAGE_TYPE');
      expect(await page.getByTestId('result-card').count()).toBe(0);

      // ...and the page keeps working: the next good upload finds its product.
      const next = PRODUCTS[5];
      await page.getByTestId('file-input').setInputFiles(path.join(images, `${next.id}.jpg`));
      await expect.poll(() => firstResultId(page), { timeout: 15_000 }).toBe(next.id);
      expect(await error.count()).toBe(0);

      // 3. The product page shows the product and similar items (never itself).
      await page.getByTestId('result-card').first().getByRole('link').click();
      await page.waitForURL(`**/product/${next.id}`);
      await expect.poll(() => page.getByTestId('product-title').textContent(), { timeout: 15_000 }).toBe(next.title);
      const similar = page.getByTestId('similar-section').getByTestId('result-card');
      await similar.first().waitFor({ timeout: 15_000 });
      const similarIds = await similar.evaluateAll((cards) => cards.map((c) => c.getAttribute('data-product-id')));
      expect(similarIds.length).toBeGreaterThan(0);
      expect(similarIds).not.toContain(next.id);
      for (const id of similarIds) expect(PRODUCTS.map((p) => p.id)).toContain(id);

      // A deep link (full page load of a client-side route) works too.
      await page.goto(`${server!.baseUrl}/product/${target.id}`);
      await expect.poll(() => page.getByTestId('product-title').textContent(), { timeout: 15_000 }).toBe(target.title);

      expect(pageErrors).toEqual([]);
    } catch (err) {
      await page.screenshot({ path: path.join(os.tmpdir(), 'shoplens-e2e-failure.png'), fullPage: true }).catch(() => undefined);
      throw new Error(`${(err as Error).message}\n(screenshot: ${path.join(os.tmpdir(), 'shoplens-e2e-failure.png')})\nserver ${server?.logs() ?? ''}`, { cause: err });
    }
  }, 120_000);

  // Product lookup is off by default, and the 8 flat-shape images would give too few ORB descriptors to
  // train its vocabulary (≥ 5,000) anyway: this test checks the crop round trip, not the exact-match
  // badge (test/medium/http.test.ts checks `match`/`exactMatch` with lookup on).
  it('on a 360 px screen, dragging on the preview searches the selected part; "Clear crop" searches the whole photo again', async () => {
    await withPage(context!, 'shoplens-e2e-crop-failure.png', async (page, pageErrors) => {
      // Chromium does not expose multipart bodies with a file to the request event: record the
      // `params` field the page hands to fetch instead.
      await page.addInitScript(() => {
        const w = window as unknown as { __searchParams: string[] };
        w.__searchParams = [];
        const original = window.fetch.bind(window);
        window.fetch = (input, init) => {
          if (String(input).endsWith('/api/v1/search') && init?.body instanceof FormData) w.__searchParams.push(String(init.body.get('params')));
          return original(input, init);
        };
      });
      const searchBodies = {
        list: () => page.evaluate(() => (window as unknown as { __searchParams: string[] }).__searchParams),
      };
      const cropOf = (body: string) => {
        const m = /"crop":(\{[^}]*\})/.exec(body);
        return m ? (JSON.parse(m[1]!) as { x: number; y: number; width: number; height: number }) : null;
      };
      await page.setViewportSize({ width: 360, height: 740 });
      await page.goto(`${server!.baseUrl}/`);
      const target = PRODUCTS[1];
      await page.getByTestId('file-input').setInputFiles(path.join(workDir, 'catalog', 'images', `${target.id}.jpg`));
      await expect.poll(() => firstResultId(page), { timeout: 15_000 }).toBe(target.id);
      expect(await searchBodies.list()).toHaveLength(1);
      expect(cropOf((await searchBodies.list())[0]!)).toBeNull();
      // Nothing is wider than the phone's screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

      // On a phone the page scrolls (smoothly) down to the results: let it settle, then go back up to the photo.
      await scrollSettled(page);
      await page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
      const img = page.getByTestId('crop-stage').locator('img');
      const box = (await img.boundingBox())!;
      expect(box.width).toBeGreaterThan(50);
      await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 4 });
      await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.9, { steps: 4 });
      await page.mouse.up();
      await expect.poll(async () => (await searchBodies.list()).length, { timeout: 15_000 }).toBe(2);
      const crop = cropOf((await searchBodies.list())[1]!)!;
      expect(crop).not.toBeNull();
      expect(crop.x).toBeCloseTo(0.25, 1);
      expect(crop.y).toBeCloseTo(0.2, 1);
      expect(crop.width).toBeCloseTo(0.5, 1);
      expect(crop.height).toBeCloseTo(0.7, 1);
      expect(await page.getByTestId('crop-rect').isVisible()).toBe(true);
      // The drag did not open the file picker's page flow: still the same query, with results.
      await page.getByTestId('result-card').first().waitFor({ timeout: 15_000 });

      await page.getByTestId('clear-crop').click();
      await expect.poll(async () => (await searchBodies.list()).length, { timeout: 15_000 }).toBe(3);
      expect(cropOf((await searchBodies.list())[2]!)).toBeNull();
      expect(await page.getByTestId('crop-rect').isVisible()).toBe(false);
      await expect.poll(() => firstResultId(page), { timeout: 15_000 }).toBe(target.id);
      expect(pageErrors).toEqual([]);
    });
  }, 120_000);

  it('searches a phone photo of a product on a table by its main subject, and outlines it on the photo', async () => {
    await withPage(context!, 'shoplens-e2e-subject-failure.png', async (page, pageErrors) => {
      // The green triangle, small on a wooden table (two tints in wavy bands, grain), in a JPEG.
      const target = PRODUCTS[2];
      const product = await sharp(Buffer.from(shapeSvg(target.shape, target.fill))).resize(200, 200).toBuffer();
      const photo = path.join(workDir, 'table-photo.jpg');
      await woodenTable().composite([{ input: product, left: 380, top: 150 }]).jpeg({ quality: 80 }).toFile(photo);

      await page.goto(`${server!.baseUrl}/`);
      await page.getByTestId('file-input').setInputFiles(photo);
      await expect.poll(() => firstResultId(page), { timeout: 15_000 }).toBe(target.id);
      const subject = page.getByTestId('subject-box');
      await expect.poll(() => subject.isVisible(), { timeout: 5_000 }).toBe(true);
      // The outline sits on the product (right of centre, in the middle band of the photo).
      expectPlaced(await placedOnPhoto(page, 'subject-box'), { cx: [0.65, 0.8], cy: [0.4, 0.65], maxWidth: 0.5 });

      // A box the shopper draws around the product: the subject is looked for inside it.
      await scrollSettled(page);
      await page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
      const img = (await page.getByTestId('crop-stage').locator('img').boundingBox())!;
      await page.mouse.move(img.x + img.width * 0.5, img.y + img.height * 0.2);
      await page.mouse.down();
      await page.mouse.move(img.x + img.width * 0.8, img.y + img.height * 0.6, { steps: 4 });
      await page.mouse.move(img.x + img.width * 0.97, img.y + img.height * 0.85, { steps: 4 });
      await page.mouse.up();
      await expect.poll(() => page.getByTestId('crop-rect').isVisible(), { timeout: 15_000 }).toBe(true);
      await expect.poll(() => firstResultId(page), { timeout: 15_000 }).toBe(target.id);
      await expect.poll(() => subject.isVisible(), { timeout: 5_000 }).toBe(true);
      const inside = await page.evaluate(() => {
        const c = document.querySelector('[data-testid="crop-rect"]')!.getBoundingClientRect();
        const o = document.querySelector('[data-testid="subject-box"]')!.getBoundingClientRect();
        return o.left >= c.left - 1 && o.top >= c.top - 1 && o.right <= c.right + 1 && o.bottom <= c.bottom + 1 && o.width < c.width;
      });
      expect(inside).toBe(true);
      expect(pageErrors).toEqual([]);
    });
  }, 120_000);
});

describe.skipIf(!CHROMIUM)('the demo (`npm start`) with product lookup, in headless Chromium', () => {
  let workDir = '';
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  let context: BrowserContext | null = null;
  const DEMO_IMAGES = path.join(ROOT, 'examples', 'demo', 'images');

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-e2e-demo-'));
    // `shoplens demo` indexes the bundled catalog with product lookup (~20 s on 2 cores), then serves it.
    server = await startServer(path.join(workDir, 'data'), 'demo', 180_000);
    context = await launchChromium(path.join(workDir, 'chromium-profile'));
  }, 240_000);

  afterAll(() => tearDown(context, server, workDir));

  it('finds the exact product in a phone photo of it on a table, with the badge and where it is in the photo', async () => {
    await withPage(context!, 'shoplens-e2e-demo-lookup-failure.png', async (page, pageErrors) => {
      // The Bejewelled Crown's picture, turned 12°, on a wooden table beside two things the shop does not sell, a little dark, in a JPEG.
      const product = await sharp(path.join(DEMO_IMAGES, 'p0003.jpg')).resize(240, 240, { fit: 'inside' })
        .rotate(12, { background: { r: 0, g: 0, b: 0, alpha: 0 } }).png().toBuffer();
      const clutter = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120"><circle cx="50" cy="60" r="40" fill="#2a6fdb"/>' +
        '<rect x="100" y="20" width="50" height="80" fill="#e0c020" transform="rotate(20 125 60)"/></svg>');
      const photo = path.join(workDir, 'crown-on-table.jpg');
      await woodenTable().composite([{ input: clutter, left: 20, top: 330 }, { input: product, left: 330, top: 110 }])
        .modulate({ brightness: 0.9 }).jpeg({ quality: 75 }).toFile(photo);

      // The server says product lookup is on, and on which ORB.
      await expect.poll(() => server!.logs(), { timeout: 30_000 }).toMatch(/search warmed up in \d+ ms \(product lookup keypoints: /);
      await page.goto(`${server!.baseUrl}/`);
      await page.getByTestId('file-input').setInputFiles(photo);
      await expect.poll(() => firstResultId(page), { timeout: 30_000 }).toBe('p0003');
      const first = page.getByTestId('result-card').first();
      await expect.poll(() => first.getByTestId('exact-badge').isVisible(), { timeout: 5_000 }).toBe(true);
      expect(await page.getByTestId('exact-badge').count()).toBe(1);
      // The top result is exact, so its box is drawn without hovering: on the crown (the picture's
      // middle lies at x 0.70, y 0.48 of the photo), not on the clutter at the bottom left.
      const box = page.getByTestId('match-box');
      await expect.poll(() => box.isVisible(), { timeout: 5_000 }).toBe(true);
      expectPlaced(await placedOnPhoto(page, 'match-box'), { cx: [0.55, 0.85], cy: [0.3, 0.7], maxWidth: 0.45 });
      expect(await page.getByTestId('subject-box').isVisible()).toBe(false);
      expect(pageErrors).toEqual([]);
    });
  }, 120_000);
});
