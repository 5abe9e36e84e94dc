import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { buildServer } from '../../src/http/server.js';
import { encodePng } from '../../src/imaging/index.js';
import { installTinyClip } from '../fixtures/onnx/tiny-models.js';
import { freshShoplens, ingestPictures, tempDir } from './shoplens.factory.js';

/**
 * End to end with the tiny ONNX image + text models: ingest a small catalog of coloured product
 * photos with SHOPLENS_EXTRACTOR=onnx:tiny-clip, then search by text through the service, the
 * HTTP API and the CLI.
 */
const PRODUCTS: Array<{ id: string; title: string; rgb: [number, number, number] }> = [
  { id: 'red-1', title: 'Red runner', rgb: [230, 20, 30] },
  { id: 'red-2', title: 'Dark red boot', rgb: [150, 10, 10] },
  { id: 'green-1', title: 'Green sneaker', rgb: [20, 200, 40] },
  { id: 'blue-1', title: 'Blue sandal', rgb: [10, 30, 220] },
  { id: 'teal-1', title: 'Teal slipper', rgb: [0, 160, 160] },
];

async function photo(rgb: [number, number, number], w = 40, h = 30): Promise<Buffer> {
  const data = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(i % 7 === 0 ? [255, 255, 255] : rgb, i * 3); // a little texture
  return encodePng({ data, width: w, height: h, channels: 3 });
}

let fresh: Awaited<ReturnType<typeof freshShoplens>>;
let app: FastifyInstance;
let modelsDir: string;
let base: string;

beforeAll(async () => {
  // Models are installed before opening: nothing is ever fetched at run time.
  base = await tempDir('shoplens-text-');
  modelsDir = path.join(base, 'models');
  await installTinyClip(modelsDir);
  fresh = await freshShoplens({ extractor: 'onnx:tiny-clip', modelsDir });
  const report = await ingestPictures(fresh, await Promise.all(PRODUCTS.map(async (p) => ({ id: p.id, title: p.title, png: await photo(p.rgb) }))));
  expect(report.failed).toEqual([]);
  expect(report.created).toBe(PRODUCTS.length);
  app = await buildServer(fresh.shoplens);
});

afterAll(async () => {
  await app?.close();
  await fresh?.cleanup();
  await rm(base, { recursive: true, force: true });
});

describe('text search with a CLIP-class ONNX extractor', () => {
  it('the service ranks the red products first for "red running shoes", blue first for "blue"', async () => {
    expect(fresh.shoplens.extractor.identity.name).toBe('onnx:tiny-clip');
    const red = await fresh.shoplens.search.searchByText('red running shoes', { k: 5 });
    expect(red.hits.slice(0, 2).map((h) => h.product.id).sort()).toEqual(['red-1', 'red-2']);
    expect(red.hits[0]!.score).toBeGreaterThan(red.hits[4]!.score);
    const blue = await fresh.shoplens.search.searchByText('Blue', { k: 2 });
    expect(blue.hits[0]!.product.id).toBe('blue-1');
    // green + blue → teal (0, 160, 160) is the closest product to the mixture.
    const teal = await fresh.shoplens.search.searchByText('green blue', { k: 1 });
    expect(teal.hits[0]!.product.id).toBe('teal-1');
  });

  it('POST /api/v1/search/text answers ranked hits; filters and validation apply', async () => {
    const status = await app.inject({ method: 'GET', url: '/api/v1/search/text' });
    expect(status.json()).toEqual({ available: true, extractor: 'onnx:tiny-clip' });
    const res = await app.inject({ method: 'POST', url: '/api/v1/search/text', payload: { text: 'green shoes', k: 3, excludeIds: ['teal-1'] } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { results: Array<{ id: string; score: number }>; exactMatch: null };
    expect(body.results[0]!.id).toBe('green-1');
    expect(body.results.map((r) => r.id)).not.toContain('teal-1');
    expect(body.exactMatch).toBeNull();
    const empty = await app.inject({ method: 'POST', url: '/api/v1/search/text', payload: { text: '   ' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('INVALID_PARAMETER');
    const extra = await app.inject({ method: 'POST', url: '/api/v1/search/text', payload: { text: 'red', url: 'http://x' } });
    expect(extra.statusCode).toBe(400);
    const spec = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toContain('/api/v1/search/text');
  });

  it('`shoplens search --text` prints the ranked products', async () => {
    let out = '';
    const io: CliIO = { out: (t) => void (out += t), err: () => undefined, isTTY: false };
    await fresh.shoplens.close(); // one process at a time on a data directory
    const saved = process.env['SHOPLENS_MODELS'];
    process.env['SHOPLENS_MODELS'] = modelsDir;
    process.env['SHOPLENS_EXTRACTOR'] = 'onnx:tiny-clip';
    try {
      const code = await runCli(['node', 'shoplens', 'search', '--text', 'red shoes', '--k', '2', '--json', '--data', fresh.config.dataDir], io);
      expect(code).toBe(0);
      expect((JSON.parse(out) as { results: Array<{ id: string }> }).results.map((r) => r.id).sort()).toEqual(['red-1', 'red-2']);
    } finally {
      if (saved === undefined) delete process.env['SHOPLENS_MODELS'];
      else process.env['SHOPLENS_MODELS'] = saved;
      delete process.env['SHOPLENS_EXTRACTOR'];
    }
  });
});

describe('text search without a text tower', () => {
  it('the default extractor answers TEXT_SEARCH_UNAVAILABLE (409) and the status says unavailable', async () => {
    const plain = await freshShoplens();
    const server = await buildServer(plain.shoplens);
    try {
      expect((await server.inject({ method: 'GET', url: '/api/v1/search/text' })).json()).toMatchObject({ available: false });
      const res = await server.inject({ method: 'POST', url: '/api/v1/search/text', payload: { text: 'red shoes' } });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('TEXT_SEARCH_UNAVAILABLE');
      await expect(plain.shoplens.search.searchByText('red', { k: 3 })).rejects.toMatchObject({ code: 'TEXT_SEARCH_UNAVAILABLE' });
    } finally {
      await server.close();
      await plain.cleanup();
    }
  });
});
