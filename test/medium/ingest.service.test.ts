import { readFile, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openShoplens } from '../../src/main.js';
import { makeCatalog } from '../catalogs/make-catalog.js';
import { freshShoplens, tempDir } from './shoplens.factory.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('ingest', () => {
  it('indexes good rows, reports broken ones with row and reason, and is idempotent', async () => {
    const { dir, shoplens, cleanup } = await freshShoplens();
    cleanups.push(cleanup);
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 60, broken: 10, seed: 7 });

    const first = await shoplens.ingest.ingest(cat.catalogPath);
    expect(first.created).toBe(50);
    expect(first.failed.map((f) => f.row).sort((a, b) => a - b)).toEqual(cat.brokenRows.map((b) => b.row).sort((a, b) => a - b));
    for (const f of first.failed) expect(f.reason.length).toBeGreaterThan(5);
    const stats = await shoplens.store.stats();
    expect(stats.products).toBe(50);
    expect(shoplens.indexSync.index.size()).toBe(stats.images);

    const second = await shoplens.ingest.ingest(cat.catalogPath);
    expect(second.noChanges).toBe(true);
    expect(second.unchanged).toBe(50);
    expect(second.imagesAnalysed).toBe(0);
    expect(second.failed).toHaveLength(10);
  });

  it('updates changed rows, keeps unchanged ones, deletes missing ones only when asked', async () => {
    const { dir, shoplens, cleanup } = await freshShoplens();
    cleanups.push(cleanup);
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 12, broken: 0, seed: 3 });
    await shoplens.ingest.ingest(cat.catalogPath);

    const lines = (await readFile(cat.catalogPath, 'utf8')).trimEnd().split('\n');
    const header = lines[0]!;
    const firstId = lines[1]!.split(',')[0]!;
    // Change one title, drop the last row.
    const changed = [header, lines[1]!.replace(/^([^,]*),([^,]*),/, '$1,Renamed product,'), ...lines.slice(2, -1)];
    const droppedId = lines.at(-1)!.split(',')[0]!;
    await writeFile(cat.catalogPath, `${changed.join('\n')}\n`);

    const r = await shoplens.ingest.ingest(cat.catalogPath);
    expect(r.updated).toBe(1);
    expect(r.unchanged).toBe(10);
    expect(r.imagesAnalysed).toBe(0); // same image bytes: vectors reused
    expect((await shoplens.store.getProduct(firstId))?.title).toBe('Renamed product');
    expect(await shoplens.store.getProduct(droppedId)).not.toBeNull();

    const d = await shoplens.ingest.ingest(cat.catalogPath, { deleteMissing: true });
    expect(d.deleted).toBe(1);
    expect(await shoplens.store.getProduct(droppedId)).toBeNull();
    expect(shoplens.indexSync.index.size()).toBe((await shoplens.store.stats()).images);
    expect((await shoplens.store.stats()).products).toBe(11);
  });

  it('a row that turns bad later keeps the product stored before', async () => {
    const { dir, shoplens, cleanup } = await freshShoplens();
    cleanups.push(cleanup);
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 5, broken: 0, seed: 5 });
    await shoplens.ingest.ingest(cat.catalogPath);
    const lines = (await readFile(cat.catalogPath, 'utf8')).trimEnd().split('\n');
    const id = lines[1]!.split(',')[0]!;
    const image = path.join(path.dirname(cat.catalogPath), lines[1]!.split(',')[6]!.split('|')[0]!);
    await writeFile(image, 'not an image any more');
    const r = await shoplens.ingest.ingest(cat.catalogPath, { deleteMissing: true });
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]).toMatchObject({ row: 2, id, code: 'UNSUPPORTED_IMAGE_TYPE' });
    expect(r.deleted).toBe(0);
    expect(await shoplens.store.getProduct(id)).not.toBeNull();
  });

  it('puts each catalog image\'s own product first, and survives a restart', async () => {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = loadConfig({ dataDir: path.join(dir, 'data') }, {});
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 40, broken: 0, seed: 11 });
    let s = await openShoplens(config);
    await s.ingest.ingest(cat.catalogPath);
    await s.close();

    s = await openShoplens(config);
    try {
      const lines = (await readFile(cat.catalogPath, 'utf8')).trimEnd().split('\n').slice(1);
      let first = 0;
      for (const line of lines) {
        const [id, , , , , , images] = line.split(',');
        const bytes = await readFile(path.join(path.dirname(cat.catalogPath), images!.split('|')[0]!));
        const r = await s.search.searchByImage(bytes, { k: 3 });
        if (r.hits[0]?.product.id === id) first++;
        expect(r.hits[0]!.score).toBeGreaterThan(0.99);
      }
      expect(first).toBe(lines.length);
    } finally {
      await s.close();
    }
  });

  it('rebuilds the index when it is behind the store (crash after commit, before index save)', async () => {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = loadConfig({ dataDir: path.join(dir, 'data') }, {});
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 8, broken: 0, seed: 13 });
    const s1 = await openShoplens(config);
    await s1.ingest.ingest(cat.catalogPath);
    await s1.close();
    // Simulate a stale index: an old meta that names an earlier store version.
    const metaPath = path.join(config.dataDir, 'index', 'index.meta.json');
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { storeVersion: number };
    await writeFile(metaPath, JSON.stringify({ ...meta, storeVersion: meta.storeVersion - 1 }));
    const rebuilds: string[] = [];
    const s2 = await openShoplens(config, { events: { onRebuild: (e) => rebuilds.push(e.reason) } });
    try {
      expect(rebuilds).toHaveLength(1);
      expect(s2.indexSync.index.size()).toBe((await s2.store.stats()).images);
    } finally {
      await s2.close();
    }
  });

  it('a running instance sees products another process ingested (index refreshed from the store)', async () => {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = loadConfig({ dataDir: path.join(dir, 'data') }, {});
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 6, broken: 0, seed: 17 });
    const server = await openShoplens(config);
    const other = await openShoplens(config);
    try {
      expect(server.indexSync.index.size()).toBe(0);
      await other.ingest.ingest(cat.catalogPath);
      const line = (await readFile(cat.catalogPath, 'utf8')).split('\n')[1]!.split(',');
      const bytes = await readFile(path.join(path.dirname(cat.catalogPath), line[6]!.split('|')[0]!));
      const [a, b] = await Promise.all([
        server.search.searchByImage(bytes, { k: 1 }),
        server.search.searchByImage(bytes, { k: 1 }),
      ]);
      expect(a.hits[0]?.product.id).toBe(line[0]);
      expect(b.hits[0]?.product.id).toBe(line[0]);
    } finally {
      await other.close();
      await server.close();
    }
  });

  it('refuses a data directory made by another extractor', async () => {
    const { dir, shoplens, config, cleanup } = await freshShoplens();
    cleanups.push(cleanup);
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 3, broken: 0, seed: 2 });
    await shoplens.ingest.ingest(cat.catalogPath);
    await shoplens.close();
    const other = shoplens.extractor;
    const fake = { identity: { ...other.identity, version: 'other' }, extract: other.extract.bind(other) };
    await expect(openShoplens(config, { extractor: fake })).rejects.toMatchObject({ code: 'EXTRACTOR_MISMATCH' });
  });
});
