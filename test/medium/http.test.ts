import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { makeCatalog, pngBomb } from '../catalogs/make-catalog.js';
import { freshShoplens } from './shoplens.factory.js';

/** Builds a multipart/form-data body by hand so the tests control every byte (light-my-request has no FormData). */
function multipart(parts: { name: string; filename?: string; type?: string; data: Buffer | string }[]): {
  payload: Buffer;
  headers: Record<string, string>;
} {
  const boundary = `----shoplens${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.filename ? `Content-Type: ${p.type ?? 'application/octet-stream'}\r\n` : ''}\r\n`;
    chunks.push(Buffer.from(head), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

let app: FastifyInstance;
let cleanup: () => Promise<void>;
let rows: { id: string; category: string; brand: string; price: number; image: string }[];
let imageServer: Server;
let imageBase: string;

beforeAll(async () => {
  const fresh = await freshShoplens({ allowPrivateUrls: false });
  cleanup = fresh.cleanup;
  const cat = await makeCatalog({ out: path.join(fresh.dir, 'cat'), rows: 24, broken: 0, seed: 21 });
  await fresh.shoplens.ingest.ingest(cat.catalogPath);
  const lines = (await readFile(cat.catalogPath, 'utf8')).trimEnd().split('\n').slice(1);
  rows = lines.map((l) => {
    const c = l.split(',');
    return { id: c[0]!, brand: c[2]!, category: c[3]!, price: Number(c[4]), image: path.join(path.dirname(cat.catalogPath), c[6]!.split('|')[0]!) };
  });
  app = await buildServer(fresh.shoplens);
  imageServer = createServer((req, res) => {
    void readFile(rows[0]!.image).then((b) => res.end(b));
  });
  await new Promise<void>((r) => imageServer.listen(0, '127.0.0.1', r));
  imageBase = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  imageServer?.closeAllConnections();
  await new Promise((r) => imageServer?.close(r));
  await cleanup?.();
});

async function upload(data: Buffer | string, extra: { name: string; data: string }[] = [], filename = 'photo.jpg') {
  const { payload, headers } = multipart([{ name: 'image', filename, type: 'image/jpeg', data }, ...extra]);
  return app.inject({ method: 'POST', url: '/api/v1/search', payload, headers });
}

describe('HTTP API', () => {
  it('health and facets', async () => {
    const h = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(h.statusCode).toBe(200);
    expect(h.json()).toMatchObject({ status: 'ok', products: 24, extractor: { name: 'default' }, lookup: null });
    const f = await app.inject({ method: 'GET', url: '/api/v1/facets' });
    expect(f.json().categories.length).toBeGreaterThan(0);
  });

  it('finds the product of an uploaded catalog image first, with its matched image', async () => {
    for (const row of rows.slice(0, 6)) {
      const res = await upload(await readFile(row.image), [{ name: 'k', data: '5' }]);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.results).toHaveLength(5);
      expect(body.results[0].id).toBe(row.id);
      expect(body.results[0].score).toBeGreaterThan(0.99);
      expect(body.results[0].matchedImage.url).toMatch(/^\/media\/[0-9a-f]{64}\.jpg$/);
      const media = await app.inject({ method: 'GET', url: body.results[0].matchedImage.url });
      expect(media.statusCode).toBe(200);
      expect(media.headers['content-type']).toBe('image/jpeg');
    }
  });

  it('applies filters, exclusions and "not like this"', async () => {
    const row = rows[0]!;
    const bytes = await readFile(row.image);
    const other = rows.find((r) => r.category !== row.category)!;
    const byCat = (await upload(bytes, [{ name: 'params', data: JSON.stringify({ k: 24, filter: { category: [other.category] } }) }])).json();
    expect(byCat.results.length).toBeGreaterThan(0);
    for (const r of byCat.results) expect(r.category).toBe(other.category);

    const priced = (await upload(bytes, [{ name: 'params', data: JSON.stringify({ k: 24, filter: { priceMin: 20, priceMax: 60 } }) }])).json();
    for (const r of priced.results) {
      expect(r.price).toBeGreaterThanOrEqual(20);
      expect(r.price).toBeLessThanOrEqual(60);
    }
    expect(priced.results.length).toBe(rows.filter((r) => r.price >= 20 && r.price <= 60).length);

    const excluded = (await upload(bytes, [{ name: 'params', data: JSON.stringify({ k: 5, excludeIds: [row.id] }) }])).json();
    expect(excluded.results.map((r: { id: string }) => r.id)).not.toContain(row.id);
    expect(excluded.results).toHaveLength(5);

    const second = (await upload(bytes, [{ name: 'k', data: '3' }])).json().results[1].id as string;
    const notLike = (await upload(bytes, [{ name: 'params', data: JSON.stringify({ k: 5, notLikeIds: [second] }) }])).json();
    expect(notLike.results.map((r: { id: string }) => r.id)).not.toContain(second);
    expect(notLike.results[0].id).toBe(row.id);
  });

  it('accepts a crop (multipart params and JSON body) and rejects an invalid one with INVALID_PARAMETER', async () => {
    const row = rows[1]!;
    const bytes = await readFile(row.image);
    const crop = { x: 0.1, y: 0.1, width: 0.8, height: 0.8 };
    const ok = await upload(bytes, [{ name: 'params', data: JSON.stringify({ k: 3, crop }) }]);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().results[0].id).toBe(row.id);
    // Product lookup is off by default: no match evidence, no exact-match claim.
    expect(ok.json().exactMatch).toBeNull();
    expect(ok.json().results[0].match).toBeUndefined();
    // The shopper's box, not an automatic main subject, is what was searched.
    expect(ok.json().subject).toBeNull();
    // Fractions that overshoot 1 by rounding are tolerated.
    const edge = await upload(bytes, [{ name: 'params', data: JSON.stringify({ k: 3, crop: { x: 0.3, y: 0, width: 0.7 + 1e-9, height: 1 } }) }]);
    expect(edge.statusCode).toBe(200);
    // A different crop queries different pixels: a quarter of the image is not the same query as the whole.
    const quarter = (await upload(bytes, [{ name: 'params', data: JSON.stringify({ k: 3, crop: { x: 0, y: 0, width: 0.5, height: 0.5 } }) }])).json();
    const whole = (await upload(bytes, [{ name: 'k', data: '3' }])).json();
    expect(quarter.results[0].score).not.toBe(whole.results[0].score);

    const bad = [
      { x: 0.5, y: 0, width: 0.6, height: 0.5 },
      { x: 0, y: 0.2, width: 0.5, height: 0.9 },
      { x: -0.1, y: 0, width: 0.5, height: 0.5 },
      { x: 0, y: 0, width: 0, height: 0.5 },
      { x: 0, y: 0, width: 0.5, height: 1.5 },
      { x: 0, y: 0, width: '0.5', height: 0.5 },
      { x: 0, y: 0, width: 0.5 },
      { x: 0, y: 0, width: 0.5, height: 0.5, depth: 1 },
    ];
    for (const c of bad) {
      const r = await upload(bytes, [{ name: 'params', data: JSON.stringify({ crop: c }) }]);
      expect({ crop: c, status: r.statusCode, code: r.json().code }).toEqual({ crop: c, status: 400, code: 'INVALID_PARAMETER' });
    }
    const jsonBad = await app.inject({ method: 'POST', url: '/api/v1/search', payload: { url: 'http://x.test/a.jpg', crop: bad[0] } });
    expect([jsonBad.statusCode, jsonBad.json().code]).toEqual([400, 'INVALID_PARAMETER']);
    const withProduct = await app.inject({ method: 'POST', url: '/api/v1/search', payload: { productId: row.id, crop } });
    expect([withProduct.statusCode, withProduct.json().code]).toEqual([400, 'INVALID_PARAMETER']);
    // A valid crop with a URL goes through the same address guard as a plain URL search.
    const guarded = await app.inject({ method: 'POST', url: '/api/v1/search', payload: { url: `${imageBase}/a.jpg`, crop } });
    expect([guarded.statusCode, guarded.json().code]).toEqual([400, 'INVALID_URL']);
  });

  it('similar items by product id (GET and JSON body) exclude the product itself', async () => {
    const id = rows[3]!.id;
    const res = await app.inject({ method: 'GET', url: `/api/v1/products/${id}/similar?k=4` });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toHaveLength(4);
    expect(res.json().results.map((r: { id: string }) => r.id)).not.toContain(id);
    const post = await app.inject({ method: 'POST', url: '/api/v1/search', payload: { productId: id, k: 4 } });
    expect(post.json().results.map((r: { id: string }) => r.id)).toEqual(res.json().results.map((r: { id: string }) => r.id));
    const missing = await app.inject({ method: 'GET', url: '/api/v1/products/nope/similar' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('PRODUCT_NOT_FOUND');
  });

  it('answers bad uploads with 4xx and a stable code, and keeps serving', async () => {
    const cases: [Buffer | string, number, string][] = [
      [Buffer.alloc(0), 400, 'EMPTY_IMAGE'],
      ['this is plain text, not a JPEG', 415, 'UNSUPPORTED_IMAGE_TYPE'],
      [pngBomb(30_000), 413, 'IMAGE_TOO_LARGE'],
      [(await readFile(rows[0]!.image)).subarray(0, 400), 422, 'CORRUPT_IMAGE'],
    ];
    for (const [data, status, code] of cases) {
      const res = await upload(data);
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
      expect(typeof res.json().message).toBe('string');
    }
    const ok = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(ok.statusCode).toBe(200);
  });

  it('rejects malformed requests and parameters', async () => {
    const noImage = multipart([{ name: 'k', data: '3' }]);
    const r1 = await app.inject({ method: 'POST', url: '/api/v1/search', ...noImage });
    expect([r1.statusCode, r1.json().code]).toEqual([400, 'INVALID_REQUEST']);
    const bytes = await readFile(rows[0]!.image);
    for (const k of ['0', '1000', 'abc']) {
      const r = await upload(bytes, [{ name: 'k', data: k }]);
      expect([r.statusCode, r.json().code]).toEqual([400, 'INVALID_PARAMETER']);
    }
    const badParams = await upload(bytes, [{ name: 'params', data: '{not json' }]);
    expect(badParams.json().code).toBe('INVALID_PARAMETER');
    const both = await app.inject({ method: 'POST', url: '/api/v1/search', payload: { url: 'http://x.test/a.jpg', productId: 'a' } });
    expect([both.statusCode, both.json().code]).toEqual([400, 'INVALID_PARAMETER']);
    const badJson = await app.inject({ method: 'POST', url: '/api/v1/search', payload: '{"k":', headers: { 'content-type': 'application/json' } });
    expect([badJson.statusCode, badJson.json().code]).toEqual([400, 'INVALID_REQUEST']);
    const text = await app.inject({ method: 'POST', url: '/api/v1/search', payload: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.statusCode).toBe(400);
    expect(text.json().code).toBe('INVALID_REQUEST');
    const price = await app.inject({ method: 'GET', url: `/api/v1/products/${rows[0]!.id}/similar?priceMin=50&priceMax=10` });
    expect([price.statusCode, price.json().code]).toEqual([400, 'INVALID_PARAMETER']);
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
    const media = await app.inject({ method: 'GET', url: '/media/..%2F..%2Fcatalog.sqlite' });
    expect(media.statusCode).toBe(404);
  });

  it('search by URL refuses private addresses by default and never reads local files', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/search', payload: { url: `${imageBase}/a.jpg` } });
    expect([r.statusCode, r.json().code]).toEqual([400, 'INVALID_URL']);
    const file = await app.inject({ method: 'POST', url: '/api/v1/search', payload: { url: rows[0]!.image } });
    expect([file.statusCode, file.json().code]).toEqual([400, 'INVALID_URL']);
  });

  it('lists, reads and deletes products; a deleted product is no longer found', async () => {
    const list = await app.inject({ method: 'GET', url: '/api/v1/products?limit=5' });
    expect(list.json().items).toHaveLength(5);
    expect(list.json().total).toBe(24);
    const victim = rows.at(-1)!;
    const one = await app.inject({ method: 'GET', url: `/api/v1/products/${victim.id}` });
    expect(one.json().id).toBe(victim.id);
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/products/${victim.id}` });
    expect(del.json()).toEqual({ deleted: [victim.id] });
    expect((await app.inject({ method: 'GET', url: `/api/v1/products/${victim.id}` })).statusCode).toBe(404);
    const again = await app.inject({ method: 'DELETE', url: `/api/v1/products/${victim.id}` });
    expect(again.statusCode).toBe(404);
    const search = (await upload(await readFile(victim.image), [{ name: 'k', data: '24' }])).json();
    expect(search.results.map((r: { id: string }) => r.id)).not.toContain(victim.id);
  });

  it('publishes an OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/search', '/api/v1/products/{id}/similar', '/api/v1/health']));
    const search = doc.paths['/api/v1/search'].post;
    const hit = search.responses['200'].content['application/json'].schema.properties.results.items;
    expect(Object.keys(hit.properties.match.properties)).toEqual(['exact', 'inliers', 'layout', 'shape', 'outline', 'edges', 'box']);
    expect(search.responses['200'].content['application/json'].schema.properties.exactMatch).toBeDefined();
    expect(search.responses['200'].content['application/json'].schema.properties.subject).toBeDefined();
  });
});

describe('HTTP API with private URLs allowed', () => {
  it('searches by image URL', async () => {
    const fresh = await freshShoplens({ allowPrivateUrls: true });
    try {
      const cat = await makeCatalog({ out: path.join(fresh.dir, 'cat'), rows: 6, broken: 0, seed: 4 });
      await fresh.shoplens.ingest.ingest(cat.catalogPath);
      const first = (await readFile(cat.catalogPath, 'utf8')).split('\n')[1]!.split(',');
      const img = await readFile(path.join(path.dirname(cat.catalogPath), first[6]!.split('|')[0]!));
      const server = createServer((_req, res) => res.end(img));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const a = await buildServer(fresh.shoplens);
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/p.jpg`;
        const res = await a.inject({ method: 'POST', url: '/api/v1/search', payload: { url, k: 3 } });
        expect(res.statusCode).toBe(200);
        expect(res.json().results[0].id).toBe(first[0]);
        // With a crop, the fetched photo is searched like an upload (same top product).
        const cropped = await a.inject({ method: 'POST', url: '/api/v1/search', payload: { url, k: 3, crop: { x: 0, y: 0, width: 1, height: 1 } } });
        expect(cropped.statusCode).toBe(200);
        expect(cropped.json().results[0].id).toBe(first[0]);
      } finally {
        await a.close();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    } finally {
      await fresh.cleanup();
    }
  });
});

describe('HTTP API with product lookup on', () => {
  it('a catalog image queried as itself is an exact match, with its box in the photo', async () => {
    const fresh = await freshShoplens({ localFeatures: true });
    try {
      const cat = await makeCatalog({ out: path.join(fresh.dir, 'cat'), rows: 24, broken: 0, seed: 21 });
      await fresh.shoplens.ingest.ingest(cat.catalogPath);
      // 24 synthetic images give enough ORB descriptors (≥ 5,000) to train the vocabulary.
      expect(fresh.shoplens.lookup?.ready).toBe(true);
      const lines = (await readFile(cat.catalogPath, 'utf8')).trimEnd().split('\n').slice(1, 4);
      const a = await buildServer(fresh.shoplens);
      try {
        for (const line of lines) {
          const c = line.split(',');
          const id = c[0]!;
          const bytes = await readFile(path.join(path.dirname(cat.catalogPath), c[6]!.split('|')[0]!));
          const { payload, headers } = multipart([{ name: 'image', filename: 'p.jpg', type: 'image/jpeg', data: bytes }, { name: 'k', data: '5' }]);
          const body = (await a.inject({ method: 'POST', url: '/api/v1/search', payload, headers })).json();
          const top = body.results[0];
          expect(top.id).toBe(id);
          expect(top.match).toMatchObject({ exact: true });
          expect(top.match.inliers).toBeGreaterThan(0);
          // A box inside the photo with real area (it spans the verified keypoints, not necessarily the whole frame).
          const box = top.match.box as { x: number; y: number; width: number; height: number };
          expect(box.width * box.height).toBeGreaterThan(0.1);
          for (const v of [box.x, box.y, box.x + box.width, box.y + box.height]) {
            expect(v).toBeGreaterThanOrEqual(-0.01);
            expect(v).toBeLessThanOrEqual(1.01);
          }
          expect(body.exactMatch).toBe(id);
          // Only the top hit can be the exact product of a one-product photo.
          expect(body.results.slice(1).filter((r: { match?: { exact: boolean } }) => r.match?.exact)).toEqual([]);
          // A crop of the photo still finds it (the crop reaches the lookup).
          const cropped = multipart([{ name: 'image', filename: 'p.jpg', type: 'image/jpeg', data: bytes }, { name: 'params', data: JSON.stringify({ k: 5, crop: { x: 0.05, y: 0.05, width: 0.9, height: 0.9 } }) }]);
          const cbody = (await a.inject({ method: 'POST', url: '/api/v1/search', ...cropped })).json();
          expect(cbody.results[0].id).toBe(id);
          expect(cbody.results[0].match.inliers).toBeGreaterThan(0);
        }
      } finally {
        await a.close();
      }
    } finally {
      await fresh.cleanup();
    }
  });
});
