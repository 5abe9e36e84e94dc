import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { insightsFor } from '../../src/insights/insights.js';
import { makeCatalog } from '../catalogs/make-catalog.js';
import { freshShoplens } from './shoplens.factory.js';

let fresh: Awaited<ReturnType<typeof freshShoplens>>;

beforeAll(async () => {
  fresh = await freshShoplens();
  const cat = await makeCatalog({ out: path.join(fresh.dir, 'cat'), rows: 48, broken: 0, seed: 5 });
  const dir = path.dirname(cat.catalogPath);
  // An exact copy (same file), a near copy (resized, 5% cropped, re-encoded) and an uncategorised product.
  const original = await readFile(path.join(dir, 'images/sku-000002.jpg'));
  const meta = await sharp(original).metadata();
  const cut = Math.round((meta.width ?? 256) * 0.05);
  const near = await sharp(original).extract({ left: cut, top: 0, width: (meta.width ?? 256) - cut, height: meta.height ?? 256 }).resize(200).jpeg({ quality: 70 }).toBuffer();
  await writeFile(path.join(dir, 'images/near.jpg'), near);
  await appendFile(cat.catalogPath, [
    'dup-exact,Copy of one,Acme,,10.00,EUR,images/sku-000001.jpg,red,cotton',
    'dup-near,Copy of two,Acme,,10.00,EUR,images/near.jpg,red,cotton',
    '',
  ].join('\n'));
  await fresh.shoplens.ingest.ingest(cat.catalogPath);
}, 120_000);

afterAll(async () => fresh?.cleanup());

describe('insights on a generated catalog', () => {
  it('clusters every image, stores assignments and a map', async () => {
    const { clustering } = insightsFor(fresh.shoplens);
    const report = await clustering.run({ k: 4 });
    const { images } = await fresh.shoplens.store.stats();
    expect(report.k).toBe(4);
    expect(report.clusters.reduce((a, c) => a + c.images, 0)).toBe(images);
    expect(report.clusters.every((c) => c.representatives.length > 0 && c.dominantColors.length > 0)).toBe(true);
    expect((await fresh.shoplens.store.getImageClusters()).size).toBe(images);
    const points = await clustering.map(10);
    expect(points.length).toBe(10);
    expect(points.every((p) => Math.abs(p.x) <= 1 && Math.abs(p.y) <= 1)).toBe(true);
    expect((await clustering.latest())?.createdAt).toBe(report.createdAt);
  }, 60_000);

  it('chooses k by silhouette when not given', async () => {
    const report = await insightsFor(fresh.shoplens).clustering.run();
    expect(report.chosenBy).toBe('silhouette');
    const best = report.silhouette!.reduce((a, b) => (b.silhouette > a.silhouette ? b : a));
    expect(report.k).toBe(best.k);
  }, 60_000);

  it('suggests categories for uncategorised products (kNN and linear SVM)', async () => {
    for (const method of ['knn', 'svm-linear'] as const) {
      const report = await insightsFor(fresh.shoplens).classification.train({ method, folds: 3, pcaComponents: 16 });
      expect(report.trained).toBe(48);
      expect(report.suggestions.map((s) => s.productId).sort()).toEqual(['dup-exact', 'dup-near']);
      // The copies look like sku-000001 / sku-000002: their categories are the right answer.
      const truth = new Map((await fresh.shoplens.store.getProducts(['sku-000001', 'sku-000002'])).map((p) => [p.id, p.category]));
      expect(report.suggestions.find((s) => s.productId === 'dup-exact')?.predicted).toBe(truth.get('sku-000001'));
      expect(report.accuracy).toBeGreaterThan(1 / 6);
    }
  }, 120_000);

  it('finds the exact and the near duplicate and nothing else', async () => {
    const report = await insightsFor(fresh.shoplens).duplicates.run();
    const groups = report.groups.map((g) => ({ kind: g.kind, ids: g.products.map((p) => p.id).sort(), keep: g.keep }));
    expect(groups).toContainEqual({ kind: 'exact', ids: ['dup-exact', 'sku-000001'], keep: expect.any(String) });
    expect(groups.find((g) => g.ids.includes('dup-near'))?.ids).toEqual(['dup-near', 'sku-000002']);
    // The original is larger and more complete than the shrunken copy.
    expect(groups.find((g) => g.ids.includes('dup-near'))?.keep).toBe('sku-000002');
    expect(report.groups.length).toBe(2);
  }, 60_000);

  it('logs HTTP searches anonymously and reports demand per style', async () => {
    await insightsFor(fresh.shoplens).clustering.run({ k: 3 });
    const app = await buildServer(fresh.shoplens);
    try {
      for (let i = 0; i < 3; i++) {
        const res = await app.inject({ method: 'POST', url: '/api/v1/search', payload: { productId: 'sku-000003', k: 5 } });
        expect(res.statusCode).toBe(200);
      }
      const log = await fresh.shoplens.store.readSearchLog();
      expect(log.length).toBe(3);
      expect(log[0]).toEqual({ at: expect.any(String), kind: 'product', category: expect.any(String), cluster: expect.any(Number), topIds: expect.any(Array) });
      const trends = await app.inject({ method: 'GET', url: '/api/v1/insights/trends?period=week' });
      expect(trends.statusCode).toBe(200);
      const body = trends.json() as { report: { searches: number; clusters: { searches: number }[] } };
      expect(body.report.searches).toBe(3);
      expect(body.report.clusters.reduce((a, c) => a + c.searches, 0)).toBe(3);
      const csv = await app.inject({ method: 'GET', url: '/api/v1/insights/trends.csv' });
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csv.body.split('\n')[0]).toContain('section,period,cluster');
      const clusters = await app.inject({ method: 'GET', url: '/api/v1/insights/clusters' });
      expect((clusters.json() as { report: { k: number } }).report.k).toBe(3);
    } finally {
      await app.close();
    }
  }, 60_000);

  it('keeps no log when retention is 0, and prunes old entries', async () => {
    const off = await freshShoplens({ searchLogRetentionDays: 0 });
    try {
      const trends = insightsFor(off.shoplens).trends;
      expect(trends.enabled).toBe(false);
      await trends.record('image', []);
      expect(await off.shoplens.store.readSearchLog()).toEqual([]);
    } finally {
      await off.cleanup();
    }
    const store = fresh.shoplens.store;
    await store.appendSearchLog({ at: '2000-01-01T00:00:00.000Z', kind: 'url', category: null, cluster: null, topIds: [] });
    expect(await insightsFor(fresh.shoplens).trends.prune()).toBe(1);
  });
});
