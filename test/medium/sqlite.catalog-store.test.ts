import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImageWrite, ProductWrite } from '../../src/catalog/catalog-store.js';
import { MIGRATIONS } from '../../src/catalog/sqlite/migrations.js';
import { SqliteCatalogStore } from '../../src/catalog/sqlite/sqlite.catalog-store.js';
import { AppError } from '../../src/domain/errors.js';

const DIM = 8;

/** A deterministic vector derived from a seed string, so equal seeds give equal vectors. */
function vec(seed: string): Float32Array {
  const v = new Float32Array(DIM);
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  for (let i = 0; i < DIM; i++) {
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
    v[i] = ((h >>> 0) % 1000) / 1000 - 0.5;
  }
  return v;
}

function image(seed: string, overrides: Partial<ImageWrite> = {}): ImageWrite {
  return { source: `/img/${seed}.jpg`, sha256: `sha-${seed}`, width: 64, height: 48, vector: vec(seed), ...overrides };
}

function product(id: string, overrides: Partial<ProductWrite> = {}): ProductWrite {
  const p: ProductWrite = {
    id,
    title: `Title ${id}`,
    brand: 'Acme',
    category: 'shoes',
    price: 10,
    currency: 'EUR',
    attributes: {},
    images: [image(`${id}-0`)],
    fingerprint: '',
    ...overrides,
  };
  p.fingerprint = overrides.fingerprint ?? JSON.stringify({ ...p, images: p.images.map((i) => i.sha256) });
  return p;
}

let dir: string;
let file: string;
let store: SqliteCatalogStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shoplens-store-'));
  file = path.join(dir, 'nested', 'catalog.db');
  store = SqliteCatalogStore.open(file);
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteCatalogStore', () => {
  it('creates the file and parent directory, in WAL mode with foreign keys on', () => {
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(1);
    } finally {
      raw.close();
    }
  });

  it('creates products with their images and reads them back', async () => {
    const p = product('p1', {
      attributes: { color: 'red', size: '42' },
      images: [image('a'), image('b', { width: 100, height: 200 })],
    });
    const res = await store.writeProducts([p]);
    expect(res.created).toEqual(['p1']);
    expect(res.updated).toEqual([]);
    expect(res.removedKeys).toEqual([]);
    expect(res.addedKeys).toHaveLength(2);

    const got = await store.getProduct('p1');
    expect(got).not.toBeNull();
    expect(got!.title).toBe('Title p1');
    expect(got!.attributes).toEqual({ color: 'red', size: '42' });
    expect(got!.price).toBe(10);
    expect(got!.images.map((i) => [i.position, i.sha256, i.width, i.height])).toEqual([
      [0, 'sha-a', 64, 48],
      [1, 'sha-b', 100, 200],
    ]);
    expect(got!.images.map((i) => i.key)).toEqual(res.addedKeys);
    expect(got!.createdAt).toBe(got!.updatedAt);

    const vectors = await store.getProductVectors('p1');
    expect(vectors.map((v) => v.key)).toEqual(res.addedKeys);
    expect(Array.from(vectors[1]!.vector)).toEqual(Array.from(vec('b')));
    expect(await store.getProduct('nope')).toBeNull();

    // The synchronous read that re-ranks a quantised index: order as asked, unknown keys undefined.
    const [ka, kb] = res.addedKeys as [number, number];
    const byKeys = store.vectorsByKeysSync([kb, 999_999, ka]);
    expect(byKeys.map((v) => (v ? Array.from(v) : v))).toEqual([Array.from(vec('b')), undefined, Array.from(vec('a'))]);
    expect(store.vectorsByKeysSync([])).toEqual([]);
  });

  it('rewriting an identical product is a no-op; a changed one is reported as updated', async () => {
    const p = product('p1');
    const first = await store.writeProducts([p]);
    const v1 = await store.getVersion();
    const again = await store.writeProducts([product('p1')]);
    expect(again).toEqual({ created: [], updated: [], addedKeys: [], removedKeys: [] });
    expect(await store.getVersion()).toBe(v1);

    const changed = await store.writeProducts([product('p1', { title: 'New title', images: p.images })]);
    expect(changed.updated).toEqual(['p1']);
    expect(changed.created).toEqual([]);
    // same image bytes at the same position: key kept
    expect(changed.addedKeys).toEqual([]);
    expect(changed.removedKeys).toEqual([]);
    const got = await store.getProduct('p1');
    expect(got!.title).toBe('New title');
    expect(got!.images.map((i) => i.key)).toEqual(first.addedKeys);
    expect(await store.getVersion()).toBe(v1 + 1);
  });

  it('keeps keys of images with identical (sha256, position) and replaces the others', async () => {
    const first = await store.writeProducts([product('p1', { images: [image('a'), image('b'), image('c')] })]);
    const [ka, kb, kc] = first.addedKeys;
    // a stays at position 0; b (1) and c (2) are replaced by d and e
    const second = await store.writeProducts([product('p1', { images: [image('a'), image('d'), image('e')] })]);
    expect(second.updated).toEqual(['p1']);
    expect(second.removedKeys.sort((x, y) => x - y)).toEqual([kb, kc]);
    expect(second.addedKeys).toHaveLength(2);
    for (const k of second.addedKeys) expect(k).toBeGreaterThan(kc!); // never reused

    const got = await store.getProduct('p1');
    expect(got!.images.map((i) => i.sha256)).toEqual(['sha-a', 'sha-d', 'sha-e']);
    expect(got!.images[0]!.key).toBe(ka);
    expect(await store.getImage(kb!)).toBeNull();

    // same bytes moved to another position: a new key (position is part of identity)
    const third = await store.writeProducts([product('p1', { images: [image('d'), image('a')] })]);
    expect(third.removedKeys).toHaveLength(3);
    expect(third.addedKeys).toHaveLength(2);

    // fewer images: the tail is removed, the head kept
    const keysBefore = (await store.getProduct('p1'))!.images.map((i) => i.key);
    const fourth = await store.writeProducts([product('p1', { images: [image('d')] })]);
    expect(fourth.removedKeys).toEqual([keysBefore[1]]);
    expect(fourth.addedKeys).toEqual([]);
  });

  it('a kept image with a new source updates its metadata without changing its key', async () => {
    const first = await store.writeProducts([product('p1', { images: [image('a')] })]);
    const res = await store.writeProducts([product('p1', { images: [image('a', { source: '/moved/a.jpg' })] })]);
    expect(res.updated).toEqual(['p1']);
    expect(res.addedKeys).toEqual([]);
    expect((await store.getImage(first.addedKeys[0]!))!.source).toBe('/moved/a.jpg');
  });

  it('treats same sha with a different vector as a replaced image (index must never hold a stale vector)', async () => {
    const first = await store.writeProducts([product('p1', { images: [image('a')] })]);
    const res = await store.writeProducts([product('p1', { images: [image('a', { vector: vec('other') })] })]);
    expect(res.removedKeys).toEqual(first.addedKeys);
    expect(res.addedKeys).toHaveLength(1);
  });

  it('deletes products with their images (cascade) and reports removed keys', async () => {
    const w = await store.writeProducts([
      product('p1', { images: [image('a'), image('b')] }),
      product('p2', { images: [image('c')] }),
    ]);
    const v = await store.getVersion();
    const res = await store.deleteProducts(['p1', 'unknown', 'p1']);
    expect(res.deleted).toEqual(['p1']);
    expect(res.removedKeys).toEqual(w.addedKeys.slice(0, 2));
    expect(await store.getProduct('p1')).toBeNull();
    expect((await store.getImages(w.addedKeys)).size).toBe(1);
    expect((await store.stats()).images).toBe(1);
    expect(await store.getVersion()).toBe(v + 1);

    const none = await store.deleteProducts(['unknown']);
    expect(none).toEqual({ deleted: [], removedKeys: [] });
    expect(await store.getVersion()).toBe(v + 1);

    // keys of deleted images are not reused by later inserts (AUTOINCREMENT)
    const again = await store.writeProducts([product('p1', { images: [image('a')] })]);
    expect(again.addedKeys[0]!).toBeGreaterThan(Math.max(...w.addedKeys));
  });

  describe('filters', () => {
    let keysOf: Map<string, number[]>;
    beforeEach(async () => {
      const res = await store.writeProducts([
        product('a', { category: 'shoes', brand: 'Acme', price: 10, attributes: { color: 'red' } }),
        product('b', { category: 'shoes', brand: 'Zed', price: 50, attributes: { color: 'blue' } }),
        product('c', { category: 'bags', brand: 'Acme', price: 100, attributes: { color: 'red', size: 'L' } }),
        product('d', { category: 'bags', brand: null, price: null, attributes: { 'we"ird': 'x' } }),
        product('e', { category: null, brand: 'Zed', price: 0, images: [image('e0'), image('e1')] }),
      ]);
      expect(res.created).toHaveLength(5);
      keysOf = new Map();
      for (const id of ['a', 'b', 'c', 'd', 'e']) {
        keysOf.set(id, (await store.getProduct(id))!.images.map((i) => i.key));
      }
    });

    const idsOf = async (filter: Parameters<SqliteCatalogStore['filterKeys']>[0]) => {
      const keys = await store.filterKeys(filter);
      const images = await store.getImages([...keys]);
      expect(images.size).toBe(keys.size);
      return [...new Set([...images.values()].map((i) => i.productId))].sort();
    };

    it('no filter returns every image key', async () => {
      const keys = await store.filterKeys({});
      expect([...keys].sort((x, y) => x - y)).toEqual([...keysOf.values()].flat().sort((x, y) => x - y));
    });
    it('category and brand are OR within a list, AND across', async () => {
      expect(await idsOf({ category: ['shoes'] })).toEqual(['a', 'b']);
      expect(await idsOf({ category: ['shoes', 'bags'] })).toEqual(['a', 'b', 'c', 'd']);
      expect(await idsOf({ brand: ['Zed'] })).toEqual(['b', 'e']);
      expect(await idsOf({ category: ['shoes', 'bags'], brand: ['Acme'] })).toEqual(['a', 'c']);
      expect(await idsOf({ category: ['none'] })).toEqual([]);
      expect(await idsOf({ category: [] })).toEqual(['a', 'b', 'c', 'd', 'e']);
    });
    it('price bounds are inclusive and NULL prices never pass', async () => {
      expect(await idsOf({ priceMin: 10 })).toEqual(['a', 'b', 'c']);
      expect(await idsOf({ priceMax: 50 })).toEqual(['a', 'b', 'e']);
      expect(await idsOf({ priceMin: 10, priceMax: 50 })).toEqual(['a', 'b']);
      expect(await idsOf({ priceMin: 0 })).toEqual(['a', 'b', 'c', 'e']);
    });
    it('attributes are equality matches, ANDed', async () => {
      expect(await idsOf({ attributes: { color: 'red' } })).toEqual(['a', 'c']);
      expect(await idsOf({ attributes: { color: 'red', size: 'L' } })).toEqual(['c']);
      expect(await idsOf({ attributes: { color: 'green' } })).toEqual([]);
      expect(await idsOf({ attributes: { 'we"ird': 'x' } })).toEqual(['d']);
    });
    it('combines every kind', async () => {
      expect(await idsOf({ category: ['shoes', 'bags'], brand: ['Acme'], priceMax: 20, attributes: { color: 'red' } })).toEqual(['a']);
      expect((await store.filterKeys({ brand: ['Zed'], category: ['shoes', 'bags'] })).size).toBe(1);
      // all keys of a multi-image product pass
      expect([...(await store.filterKeys({ priceMax: 0 }))].sort((x, y) => x - y)).toEqual(keysOf.get('e'));
    });
    it('rejects a non-finite price bound', async () => {
      await expect(store.filterKeys({ priceMin: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
    });

    it('listProducts pages in id order with a total', async () => {
      const page1 = await store.listProducts({ limit: 2 });
      expect(page1.total).toBe(5);
      expect(page1.items.map((p) => p.id)).toEqual(['a', 'b']);
      const page3 = await store.listProducts({ offset: 4, limit: 2 });
      expect(page3.items.map((p) => p.id)).toEqual(['e']);
      expect(page3.items[0]!.images).toHaveLength(2);
      const beyond = await store.listProducts({ offset: 10 });
      expect(beyond).toEqual({ items: [], total: 5 });
      const filtered = await store.listProducts({ filter: { category: ['bags'] }, limit: 1 });
      expect(filtered.total).toBe(2);
      expect(filtered.items.map((p) => p.id)).toEqual(['c']);
      await expect(store.listProducts({ offset: -1 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
    });

    it('listProducts query is a case-insensitive substring over id, title and brand', async () => {
      const byQuery = async (query: string, filter?: { category: string[] }) =>
        (await store.listProducts({ query, ...(filter ? { filter } : {}) })).items.map((p) => p.id);
      expect(await byQuery('ZED')).toEqual(['b', 'e']); // brand
      expect(await byQuery('title c')).toEqual(['c']); // title
      expect(await byQuery('  ')).toEqual(['a', 'b', 'c', 'd', 'e']); // blank: no constraint
      expect(await byQuery('acme', { category: ['bags'] })).toEqual(['c']);
      expect(await byQuery('%')).toEqual([]); // not a LIKE pattern
    });
  });

  it('listProducts defaults to 50 items and caps the limit at 500', async () => {
    const batch = Array.from({ length: 520 }, (_, i) => product(`p${String(i).padStart(4, '0')}`));
    await store.writeProducts(batch);
    expect((await store.listProducts({})).items).toHaveLength(50);
    const big = await store.listProducts({ limit: 10_000 });
    expect(big.items).toHaveLength(500);
    expect(big.total).toBe(520);
  });

  it('case-folds non-ASCII text in queries', async () => {
    await store.writeProducts([product('x', { title: 'ÉTÉ Sandale' }), product('y', { title: 'Winter' })]);
    expect((await store.listProducts({ query: 'été' })).items.map((p) => p.id)).toEqual(['x']);
  });

  it('getProducts keeps the order of ids and skips unknown ones; fingerprints map', async () => {
    await store.writeProducts([product('a'), product('b'), product('c')]);
    expect((await store.getProducts(['c', 'zz', 'a'])).map((p) => p.id)).toEqual(['c', 'a']);
    expect(await store.getProducts([])).toEqual([]);
    const fp = await store.getFingerprints(['a', 'zz']);
    expect([...fp.keys()]).toEqual(['a']);
    expect(fp.get('a')).toBe(product('a').fingerprint);
    expect(await store.allProductIds()).toEqual(['a', 'b', 'c']);
  });

  it('findVectorBySha returns a stored vector for identical bytes', async () => {
    await store.writeProducts([product('a', { images: [image('x', { width: 7, height: 9 })] })]);
    const hit = await store.findVectorBySha('sha-x');
    expect(hit).not.toBeNull();
    expect(Array.from(hit!.vector)).toEqual(Array.from(vec('x')));
    expect([hit!.width, hit!.height]).toEqual([7, 9]);
    expect(await store.findVectorBySha('sha-none')).toBeNull();
  });

  it('stores vectors that are views at odd offsets into larger buffers', async () => {
    const backing = new Float32Array(DIM + 3).fill(9);
    const view = backing.subarray(3); // byteOffset 12
    view.set(vec('v'));
    await store.writeProducts([product('a', { images: [image('v', { vector: view })] })]);
    view.fill(0); // the store must have copied the bytes
    const [stored] = await store.getProductVectors('a');
    expect(Array.from(stored!.vector)).toEqual(Array.from(vec('v')));
    expect(stored!.vector.byteOffset).toBe(0);
  });

  it('version increments once per committed write or delete', async () => {
    expect(await store.getVersion()).toBe(0);
    await store.writeProducts([product('a'), product('b')]);
    expect(await store.getVersion()).toBe(1);
    await store.writeProducts([product('c')]);
    expect(await store.getVersion()).toBe(2);
    await store.deleteProducts(['a', 'b']);
    expect(await store.getVersion()).toBe(3);
    await store.writeProducts([]);
    await store.setMeta('x', 'y');
    expect(await store.getVersion()).toBe(3);
  });

  it('meta values are stored, overwritten and read back; version is reserved', async () => {
    expect(await store.getMeta('extractor')).toBeNull();
    await store.setMeta('extractor', '{"name":"a"}');
    await store.setMeta('extractor', '{"name":"b"}');
    expect(await store.getMeta('extractor')).toBe('{"name":"b"}');
    await expect(store.setMeta('version', '99')).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });

  it('iterateVectors yields every vector once, in key order, across batches', async () => {
    const batch = Array.from({ length: 23 }, (_, i) =>
      product(`p${i}`, { images: i % 2 === 0 ? [image(`p${i}a`)] : [image(`p${i}a`), image(`p${i}b`)] }),
    );
    await store.writeProducts(batch);
    await store.deleteProducts(['p4', 'p5']); // holes in the key space
    const sizes: number[] = [];
    const keys: number[] = [];
    const vectors: Float32Array[] = [];
    for await (const b of store.iterateVectors(5)) {
      sizes.push(b.keys.length);
      expect(b.vectors).toHaveLength(b.keys.length);
      keys.push(...b.keys);
      vectors.push(...b.vectors);
    }
    const stats = await store.stats();
    expect(keys).toHaveLength(stats.images);
    expect(keys).toEqual([...keys].sort((x, y) => x - y));
    expect(new Set(keys).size).toBe(keys.length);
    expect(sizes.slice(0, -1).every((s) => s === 5)).toBe(true);
    const images = await store.getImages(keys);
    keys.forEach((k, i) => {
      expect(Array.from(vectors[i]!)).toEqual(Array.from(vec(images.get(k)!.sha256.slice(4))));
    });
    // exactly divisible: no empty trailing batch
    const exact: number[] = [];
    for await (const b of store.iterateVectors(stats.images)) exact.push(b.keys.length);
    expect(exact).toEqual([stats.images]);
  });

  it('stats counts products, images, categories and brands, and the price range', async () => {
    expect(await store.stats()).toEqual({
      products: 0, images: 0, categories: [], brands: [], priceMin: null, priceMax: null,
    });
    await store.writeProducts([
      product('a', { category: 'bags', brand: 'B', price: 5 }),
      product('b', { category: 'shoes', brand: 'A', price: 50, images: [image('b0'), image('b1')] }),
      product('c', { category: 'shoes', brand: 'A', price: null }),
      product('d', { category: null, brand: null, price: 7 }),
    ]);
    expect(await store.stats()).toEqual({
      products: 4,
      images: 5,
      categories: [{ name: 'shoes', count: 2 }, { name: 'bags', count: 1 }],
      brands: [{ name: 'A', count: 2 }, { name: 'B', count: 1 }],
      priceMin: 5,
      priceMax: 50,
    });
  });

  it('everything is still there after closing and reopening the file', async () => {
    const w = await store.writeProducts([
      product('a', { attributes: { color: 'red' }, images: [image('a0'), image('a1')] }),
      product('b'),
    ]);
    await store.deleteProducts(['b']);
    await store.setMeta('extractor', 'x1');
    const before = await store.getProduct('a');
    await store.close();

    store = SqliteCatalogStore.open(file);
    expect(await store.getProduct('a')).toEqual(before);
    expect(await store.getProduct('b')).toBeNull();
    expect(await store.getVersion()).toBe(2);
    expect(await store.getMeta('extractor')).toBe('x1');
    const vectors = await store.getProductVectors('a');
    expect(vectors.map((v) => v.key)).toEqual(w.addedKeys.slice(0, 2));
    expect(Array.from(vectors[0]!.vector)).toEqual(Array.from(vec('a0')));
    // key counter survives the reopen too
    const next = await store.writeProducts([product('c')]);
    expect(next.addedKeys[0]!).toBeGreaterThan(Math.max(...w.addedKeys));
  });

  it('two connections on one file see each other\'s committed writes', async () => {
    const other = SqliteCatalogStore.open(file);
    try {
      await store.writeProducts([product('a')]);
      expect((await other.getProduct('a'))?.id).toBe('a');
      await other.writeProducts([product('b')]);
      expect(await store.allProductIds()).toEqual(['a', 'b']);
      expect(await store.getVersion()).toBe(2);
    } finally {
      await other.close();
    }
  });

  describe('another connection holding the write lock (serve + CLI ingest on one file)', () => {
    /** Starts a worker thread that takes the write lock on `file` and holds it for `holdMs`. */
    function holdWriteLock(holdMs: number): Promise<{ worker: Worker; released: Promise<void> }> {
      const code = `
        const { workerData, parentPort } = require('node:worker_threads');
        const Database = require(workerData.driver);
        const db = new Database(workerData.file);
        db.exec('BEGIN IMMEDIATE');
        db.prepare("INSERT INTO meta (key, value) VALUES ('holder', 'worker')").run();
        parentPort.postMessage('locked');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
        db.exec('COMMIT');
        db.close();
      `;
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const worker = new Worker(code, { eval: true, workerData: { file, holdMs, driver } });
      const released = new Promise<void>((resolve, reject) => {
        worker.once('exit', () => resolve());
        worker.once('error', reject);
      });
      return new Promise((resolve, reject) => {
        worker.once('message', () => resolve({ worker, released }));
        worker.once('error', reject);
      });
    }

    it('a write waits for the lock (busy_timeout) and then commits', async () => {
      const { released } = await holdWriteLock(400);
      const t0 = performance.now();
      const res = await store.writeProducts([product('a')]);
      const waited = performance.now() - t0;
      await released;
      expect(res.created).toEqual(['a']);
      expect(waited).toBeGreaterThan(250);
      expect(await store.getMeta('holder')).toBe('worker');
    });

    it('with a short busy timeout the write fails as STORE_ERROR (SQLITE_BUSY) and stores nothing', async () => {
      const impatient = SqliteCatalogStore.open(file, { busyTimeoutMs: 20 });
      try {
        const { released } = await holdWriteLock(400);
        const err = await impatient.writeProducts([product('a')]).then(() => null, (e: unknown) => e);
        await released;
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('STORE_ERROR');
        expect((err as AppError).details.sqliteCode).toBe('SQLITE_BUSY');
        expect(await store.getProduct('a')).toBeNull();
      } finally {
        await impatient.close();
      }
    });
  });

  describe('atomicity', () => {
    async function snapshot() {
      return {
        ids: await store.allProductIds(),
        stats: await store.stats(),
        version: await store.getVersion(),
        a: await store.getProduct('a'),
      };
    }

    it('a batch whose 2nd product violates a SQL constraint stores nothing', async () => {
      await store.writeProducts([product('a')]);
      const before = await snapshot();
      const bad = product('y', { images: [image('y', { width: 0 })] }); // CHECK (width > 0)
      const err = await store
        .writeProducts([product('x'), bad, product('z')])
        .then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('STORE_ERROR');
      expect((err as AppError).details.sqliteCode).toBe('SQLITE_CONSTRAINT_CHECK');
      expect(await snapshot()).toEqual(before);
    });

    it('a batch with a vector of the wrong type stores nothing, including updates earlier in it', async () => {
      await store.writeProducts([product('a')]);
      const before = await snapshot();
      const bad = product('y', { images: [image('y', { vector: [1, 2, 3] as unknown as Float32Array })] });
      await expect(
        store.writeProducts([product('a', { title: 'changed' }), bad]),
      ).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
      expect(await snapshot()).toEqual(before);
    });

    it('a batch with a duplicate id stores nothing', async () => {
      await store.writeProducts([product('a')]);
      const before = await snapshot();
      await expect(store.writeProducts([product('x'), product('x', { title: 'again' })])).rejects.toMatchObject({
        code: 'INVALID_PARAMETER',
      });
      expect(await snapshot()).toEqual(before);
    });
  });

  it('refuses a NaN price instead of letting SQLite store it as NULL', async () => {
    await expect(store.writeProducts([product('a', { price: Number.NaN })])).rejects.toMatchObject({
      code: 'INVALID_PARAMETER',
    });
    expect(await store.allProductIds()).toEqual([]);
  });

  it('errors after close are STORE_ERROR', async () => {
    await store.close();
    await expect(store.getProduct('a')).rejects.toMatchObject({ code: 'STORE_ERROR' });
    store = SqliteCatalogStore.open(file); // for afterEach
  });

  it('refuses a database from a newer schema', async () => {
    await store.close();
    const raw = new Database(file);
    raw.pragma('user_version = 999');
    raw.close();
    let err: unknown;
    try {
      await SqliteCatalogStore.open(file).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('STORE_ERROR');
    expect((err as AppError).message).toMatch(/newer/);
    const fixed = new Database(file);
    fixed.pragma(`user_version = ${MIGRATIONS.length}`);
    fixed.close();
    store = SqliteCatalogStore.open(file);
  });
});
