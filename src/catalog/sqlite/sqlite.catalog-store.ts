import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../../domain/errors.js';
import type { Product, ProductImage } from '../../domain/product.js';
import type { SearchFilter } from '../../domain/search.js';
import type {
  CatalogStats,
  CatalogStore,
  ImageClusterRow,
  ImageHashRow,
  ListOptions,
  LocalFeatureRow,
  ProductWrite,
  SearchLogEntry,
  WriteResult,
} from '../catalog-store.js';
import { migrate } from './migrations.js';
import { blobToVector, vectorToBlob } from './vector-blob.js';

export interface SqliteCatalogStoreOptions {
  /**
   * How long a statement waits for another connection's lock before failing (ms). A serve
   * process and a CLI ingest may share one file; ingest transactions are short, so waiting
   * beats failing. Default 5000.
   */
  busyTimeoutMs?: number;
}

const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 500;
const DEFAULT_VECTOR_BATCH = 1000;

interface ProductRow {
  id: string;
  title: string;
  brand: string | null;
  category: string | null;
  price: number | null;
  currency: string | null;
  attributes: string;
  fingerprint: string;
  created_at: string;
  updated_at: string;
}

interface ImageRow {
  key: number;
  product_id: string;
  position: number;
  source: string;
  sha256: string;
  width: number;
  height: number;
}

interface ImageRowWithVector extends ImageRow {
  vector: Buffer;
}

interface WhereClause {
  sql: string;
  params: unknown[];
}

const IMAGE_COLUMNS = 'key, product_id, position, source, sha256, width, height';

/**
 * CatalogStore on one SQLite file (better-sqlite3). All work is synchronous under the hood;
 * the async surface exists so that a networked store fits the same port.
 */
export class SqliteCatalogStore implements CatalogStore {
  private readonly db: Database.Database;
  private readonly stmts: ReturnType<typeof prepareStatements>;
  /** Statements whose text depends on the filter's shape, cached by SQL text. */
  private readonly dynamicStmts = new Map<string, Database.Statement>();

  private constructor(db: Database.Database) {
    this.db = db;
    this.stmts = prepareStatements(db);
  }

  /** Opens (creating file and parent directory if needed) and migrates a catalog database. */
  static open(filePath: string, options: SqliteCatalogStoreOptions = {}): SqliteCatalogStore {
    let db: Database.Database | undefined;
    try {
      if (filePath !== ':memory:') mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
      db = new Database(filePath);
      // busy_timeout first: switching to WAL and migrating both need locks another process may hold.
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      db.pragma('journal_mode = WAL');
      // FULL: an acknowledged write survives power loss, not only a process crash.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db);
      return new SqliteCatalogStore(db);
    } catch (err) {
      db?.close();
      throw wrapError(err, `cannot open catalog database ${filePath}`);
    }
  }

  async writeProducts(products: ProductWrite[]): Promise<WriteResult> {
    return this.run('writeProducts', () => {
      const tx = this.db.transaction((batch: ProductWrite[]): WriteResult => {
        const result: WriteResult = { created: [], updated: [], addedKeys: [], removedKeys: [] };
        const seen = new Set<string>();
        const now = new Date().toISOString();
        for (const p of batch) {
          if (seen.has(p.id)) {
            throw new AppError('INVALID_PARAMETER', `product id "${p.id}" appears twice in one write batch`, {
              details: { id: p.id },
            });
          }
          seen.add(p.id);
          this.writeOne(p, now, result);
        }
        if (result.created.length > 0 || result.updated.length > 0) this.stmts.bumpVersion.run();
        return result;
      });
      // IMMEDIATE: take the write lock up front so a concurrent writer waits (busy_timeout)
      // instead of failing when our read snapshot turns out to be stale.
      return tx.immediate(products);
    });
  }

  async getFingerprints(ids: string[]): Promise<Map<string, string>> {
    return this.run('getFingerprints', () => {
      const rows = this.stmts.fingerprints.all(JSON.stringify(ids)) as { id: string; fingerprint: string }[];
      return new Map(rows.map((r) => [r.id, r.fingerprint]));
    });
  }

  async findVectorBySha(
    sha256: string,
  ): Promise<{ vector: Float32Array; width: number; height: number } | null> {
    return this.run('findVectorBySha', () => {
      const row = this.stmts.vectorBySha.get(sha256) as
        | { vector: Buffer; width: number; height: number }
        | undefined;
      return row ? { vector: blobToVector(row.vector), width: row.width, height: row.height } : null;
    });
  }

  async getProduct(id: string): Promise<Product | null> {
    return this.run('getProduct', () => this.loadProducts([id])[0] ?? null);
  }

  async getProducts(ids: string[]): Promise<Product[]> {
    return this.run('getProducts', () => this.loadProducts(ids));
  }

  async listProducts(options: ListOptions): Promise<{ items: Product[]; total: number }> {
    return this.run('listProducts', () => {
      const offset = options.offset ?? 0;
      const limit = Math.min(options.limit ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
      if (!Number.isInteger(offset) || offset < 0) {
        throw new AppError('INVALID_PARAMETER', 'offset must be a non-negative integer', { details: { offset } });
      }
      if (!Number.isInteger(limit) || limit < 0) {
        throw new AppError('INVALID_PARAMETER', 'limit must be a non-negative integer', { details: { limit } });
      }
      const where = buildWhere(options.filter, options.query);
      const total = (this.dynamic(`SELECT count(*) AS n FROM products p ${where.sql}`).get(...where.params) as {
        n: number;
      }).n;
      const rows = this.dynamic(`SELECT p.* FROM products p ${where.sql} ORDER BY p.id LIMIT ? OFFSET ?`).all(
        ...where.params,
        limit,
        offset,
      ) as ProductRow[];
      return { items: this.attachImages(rows), total };
    });
  }

  async allProductIds(): Promise<string[]> {
    return this.run('allProductIds', () => this.stmts.allIds.all() as string[]);
  }

  async deleteProducts(ids: string[]): Promise<{ deleted: string[]; removedKeys: number[] }> {
    return this.run('deleteProducts', () => {
      const tx = this.db.transaction((list: string[]) => {
        const deleted: string[] = [];
        const removedKeys: number[] = [];
        for (const id of new Set(list)) {
          const keys = this.stmts.imageKeysOfProduct.all(id) as number[];
          if (this.stmts.deleteProduct.run(id).changes > 0) {
            deleted.push(id);
            removedKeys.push(...keys); // images go with it: ON DELETE CASCADE
          }
        }
        if (deleted.length > 0) this.stmts.bumpVersion.run();
        return { deleted, removedKeys };
      });
      return tx.immediate(ids);
    });
  }

  async getImages(keys: number[]): Promise<Map<number, ProductImage>> {
    return this.run('getImages', () => {
      const rows = this.stmts.imagesByKeys.all(JSON.stringify(keys)) as ImageRow[];
      return new Map(rows.map((r) => [r.key, toImage(r)]));
    });
  }

  async getImage(key: number): Promise<ProductImage | null> {
    return this.run('getImage', () => {
      const row = this.stmts.imageByKey.get(key) as ImageRow | undefined;
      return row ? toImage(row) : null;
    });
  }

  async getProductVectors(productId: string): Promise<{ key: number; vector: Float32Array }[]> {
    return this.run('getProductVectors', () => {
      const rows = this.stmts.vectorsOfProduct.all(productId) as { key: number; vector: Buffer }[];
      return rows.map((r) => ({ key: r.key, vector: blobToVector(r.vector) }));
    });
  }

  /**
   * Vectors by image key, in the order asked (`undefined` for unknown keys). Synchronous on
   * purpose: it is the exact-vector source that re-ranks a quantised index's candidates inside
   * VectorIndex.search, which is synchronous (better-sqlite3 reads are anyway).
   */
  vectorsByKeysSync(keys: readonly number[]): (Float32Array | undefined)[] {
    if (keys.length === 0) return [];
    let rows: { key: number; vector: Buffer }[];
    try {
      rows = this.stmts.vectorsByKeys.all(JSON.stringify(keys)) as { key: number; vector: Buffer }[];
    } catch (err) {
      throw wrapError(err, 'vectorsByKeys');
    }
    const byKey = new Map(rows.map((r) => [r.key, r.vector]));
    return keys.map((k) => {
      const blob = byKey.get(k);
      return blob === undefined ? undefined : blobToVector(blob);
    });
  }

  async filterKeys(filter: SearchFilter): Promise<Set<number>> {
    return this.run('filterKeys', () => {
      const where = buildWhere(filter, undefined);
      const keys = this.dynamic(
        `SELECT i.key FROM images i JOIN products p ON p.id = i.product_id ${where.sql}`,
        true,
      ).all(...where.params) as number[];
      return new Set(keys);
    });
  }

  /**
   * Keyset pagination (key > last seen), so memory stays at one batch however large the
   * catalog is, and writes committed between batches never make a key appear twice.
   */
  async *iterateVectors(
    batchSize: number = DEFAULT_VECTOR_BATCH,
  ): AsyncGenerator<{ keys: number[]; vectors: Float32Array[] }> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new AppError('INVALID_PARAMETER', 'batchSize must be a positive integer', { details: { batchSize } });
    }
    let after = -1;
    for (;;) {
      let rows: { key: number; vector: Buffer }[];
      try {
        rows = this.stmts.vectorsAfter.all(after, batchSize) as { key: number; vector: Buffer }[];
      } catch (err) {
        throw wrapError(err, 'iterateVectors');
      }
      if (rows.length === 0) return;
      yield { keys: rows.map((r) => r.key), vectors: rows.map((r) => blobToVector(r.vector)) };
      if (rows.length < batchSize) return;
      after = rows[rows.length - 1]!.key;
    }
  }

  async getVersion(): Promise<number> {
    return this.run('getVersion', () => Number(this.stmts.getMeta.get('version') ?? 0));
  }

  async getMeta(key: string): Promise<string | null> {
    return this.run('getMeta', () => (this.stmts.getMeta.get(key) as string | undefined) ?? null);
  }

  /** Meta writes do not bump the version: they change no product, image or vector. */
  async setMeta(key: string, value: string): Promise<void> {
    return this.run('setMeta', () => {
      if (key === 'version') {
        throw new AppError('INVALID_PARAMETER', 'meta key "version" is maintained by the store');
      }
      this.stmts.setMeta.run(key, value);
    });
  }

  async stats(): Promise<CatalogStats> {
    return this.run('stats', () => {
      const read = this.db.transaction(() => {
        const p = this.stmts.productStats.get() as { n: number; lo: number | null; hi: number | null };
        const images = this.stmts.imageCount.get() as number;
        const categories = this.stmts.categoryCounts.all() as { name: string; count: number }[];
        const brands = this.stmts.brandCounts.all() as { name: string; count: number }[];
        return { products: p.n, images, categories, brands, priceMin: p.lo, priceMax: p.hi };
      });
      return read(); // one snapshot, so the counts agree with each other
    });
  }

  async putLocalFeatures(rows: { sha256: string; features: Buffer }[]): Promise<void> {
    return this.run('putLocalFeatures', () => {
      const tx = this.db.transaction((list: { sha256: string; features: Buffer }[]) => {
        for (const r of list) this.stmts.putLocalFeatures.run(r.sha256, r.features);
      });
      tx.immediate(rows);
    });
  }

  async hasLocalFeatures(sha256s: string[]): Promise<Set<string>> {
    return this.run('hasLocalFeatures', () => new Set(this.stmts.localFeatureShas.all(JSON.stringify(sha256s)) as string[]));
  }

  async getLocalFeatures(keys: number[]): Promise<Map<number, LocalFeatureRow>> {
    return this.run('getLocalFeatures', () => {
      const rows = this.stmts.localFeaturesByKeys.all(JSON.stringify(keys)) as (LocalFeatureRow & { key: number })[];
      return new Map(rows.map(({ key, ...row }) => [key, row]));
    });
  }

  /** Keyset pagination by sha256, like iterateVectors. Only contents still used by an image. */
  async *iterateLocalFeatures(batchSize: number = DEFAULT_VECTOR_BATCH): AsyncGenerator<LocalFeatureRow[]> {
    let after = '';
    for (;;) {
      let rows: LocalFeatureRow[];
      try {
        rows = this.stmts.localFeaturesAfter.all(after, batchSize) as LocalFeatureRow[];
      } catch (err) {
        throw wrapError(err, 'iterateLocalFeatures');
      }
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < batchSize) return;
      after = rows[rows.length - 1]!.sha256;
    }
  }

  async setLocalWords(rows: { sha256: string; words: Buffer }[], vocabulary: string): Promise<void> {
    return this.run('setLocalWords', () => {
      const tx = this.db.transaction((list: { sha256: string; words: Buffer }[]) => {
        for (const r of list) this.stmts.setLocalWords.run(r.words, vocabulary, r.sha256);
      });
      tx.immediate(rows);
    });
  }

  async *iterateLocalWords(vocabulary: string, batchSize: number = DEFAULT_VECTOR_BATCH): AsyncGenerator<{ key: number; words: Buffer; features: Buffer }[]> {
    let after = -1;
    for (;;) {
      let rows: { key: number; words: Buffer; features: Buffer }[];
      try {
        rows = this.stmts.localWordsAfter.all(vocabulary, after, batchSize) as { key: number; words: Buffer; features: Buffer }[];
      } catch (err) {
        throw wrapError(err, 'iterateLocalWords');
      }
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < batchSize) return;
      after = rows[rows.length - 1]!.key;
    }
  }

  async replaceImageClusters(rows: ImageClusterRow[]): Promise<void> {
    return this.run('replaceImageClusters', () => {
      const tx = this.db.transaction((list: ImageClusterRow[]) => {
        this.stmts.clearImageClusters.run();
        // Keys deleted since the vectors were read are skipped (the foreign key would refuse them).
        for (const r of list) this.stmts.insertImageCluster.run(r.key, r.cluster, r.x, r.y, r.key);
      });
      tx.immediate(rows);
    });
  }

  async getImageClusters(keys?: number[]): Promise<Map<number, ImageClusterRow>> {
    return this.run('getImageClusters', () => {
      const rows = (keys ? this.stmts.imageClustersByKeys.all(JSON.stringify(keys)) : this.stmts.allImageClusters.all()) as ImageClusterRow[];
      return new Map(rows.map((r) => [r.key, r]));
    });
  }

  async putImageHashes(rows: ImageHashRow[]): Promise<void> {
    return this.run('putImageHashes', () => {
      const tx = this.db.transaction((list: ImageHashRow[]) => {
        for (const r of list) this.stmts.putImageHash.run(r.sha256, r.pixelHash, r.phash);
      });
      tx.immediate(rows);
    });
  }

  async getImageHashes(sha256s: string[]): Promise<Map<string, ImageHashRow>> {
    return this.run('getImageHashes', () => {
      const rows = this.stmts.imageHashesByShas.all(JSON.stringify(sha256s)) as ImageHashRow[];
      return new Map(rows.map((r) => [r.sha256, r]));
    });
  }

  async appendSearchLog(entry: SearchLogEntry): Promise<void> {
    return this.run('appendSearchLog', () => {
      // The search log is anonymous analytics: losing its last entries to a power cut is acceptable,
      // an fsync per search (measured 3+ ms of event-loop time per request under load) is not. In WAL
      // mode NORMAL still survives a process crash, and the next FULL commit syncs these entries too.
      this.db.pragma('synchronous = NORMAL');
      try {
        this.stmts.appendSearchLog.run(entry.at, entry.kind, entry.category, entry.cluster, JSON.stringify(entry.topIds));
      } finally {
        this.db.pragma('synchronous = FULL');
      }
    });
  }

  async readSearchLog(range: { from?: string; to?: string } = {}): Promise<SearchLogEntry[]> {
    return this.run('readSearchLog', () => {
      const rows = this.stmts.readSearchLog.all(range.from ?? '', range.to ?? '\uffff') as {
        at: string; kind: SearchLogEntry['kind']; category: string | null; cluster: number | null; top_ids: string;
      }[];
      return rows.map((r) => ({ at: r.at, kind: r.kind, category: r.category, cluster: r.cluster, topIds: JSON.parse(r.top_ids) as string[] }));
    });
  }

  async pruneSearchLog(before: string): Promise<number> {
    return this.run('pruneSearchLog', () => this.stmts.pruneSearchLog.run(before).changes);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // ---------------------------------------------------------------------------

  private writeOne(p: ProductWrite, now: string, result: WriteResult): void {
    if (typeof p.id !== 'string' || p.id.length === 0) {
      throw new AppError('INVALID_PARAMETER', 'product id must be a non-empty string');
    }
    // SQLite would silently store NaN as NULL; refuse it instead.
    if (p.price !== null && (typeof p.price !== 'number' || !Number.isFinite(p.price))) {
      throw new AppError('INVALID_PARAMETER', `price of product "${p.id}" must be a finite number or null`, {
        details: { id: p.id, price: p.price },
      });
    }
    const blobs = p.images.map((img, position) => {
      if (!(img.vector instanceof Float32Array) || img.vector.length === 0) {
        throw new AppError(
          'INVALID_PARAMETER',
          `image ${position} of product "${p.id}" has no Float32Array feature vector`,
          { details: { id: p.id, position } },
        );
      }
      return vectorToBlob(img.vector);
    });
    const attributes = canonicalJson(p.attributes);
    const existing = this.stmts.productById.get(p.id) as ProductRow | undefined;

    if (!existing) {
      this.stmts.insertProduct.run(
        p.id, p.title, p.brand, p.category, p.price, p.currency, attributes, p.fingerprint, searchText(p), now, now,
      );
      p.images.forEach((img, position) => {
        const info = this.stmts.insertImage.run(
          p.id, position, img.source, img.sha256, img.width, img.height, blobs[position],
        );
        result.addedKeys.push(Number(info.lastInsertRowid));
      });
      result.created.push(p.id);
      return;
    }

    // An image keeps its key (and so its place in every index) when the same bytes sit at the
    // same position with the same vector; anything else is a new key. Comparing the vector too
    // means a key never silently points at a different vector than the index holds.
    const old = this.stmts.imagesWithVectorsOfProduct.all(p.id) as ImageRowWithVector[];
    let imagesChanged = false;
    const kept = new Set<number>(); // positions
    for (const o of old) {
      const n = p.images[o.position];
      const blob = blobs[o.position];
      if (n && blob && n.sha256 === o.sha256 && blob.equals(o.vector)) {
        kept.add(o.position);
        if (n.source !== o.source || n.width !== o.width || n.height !== o.height) {
          this.stmts.updateImageMeta.run(n.source, n.width, n.height, o.key);
          imagesChanged = true;
        }
      } else {
        this.stmts.deleteImage.run(o.key);
        result.removedKeys.push(o.key);
        imagesChanged = true;
      }
    }
    p.images.forEach((img, position) => {
      if (kept.has(position)) return;
      const info = this.stmts.insertImage.run(
        p.id, position, img.source, img.sha256, img.width, img.height, blobs[position],
      );
      result.addedKeys.push(Number(info.lastInsertRowid));
      imagesChanged = true;
    });

    const fieldsChanged =
      existing.title !== p.title ||
      existing.brand !== p.brand ||
      existing.category !== p.category ||
      existing.price !== p.price ||
      existing.currency !== p.currency ||
      existing.attributes !== attributes ||
      existing.fingerprint !== p.fingerprint;
    // Rewriting an identical product is a no-op: not reported, no version bump, updated_at kept.
    if (!fieldsChanged && !imagesChanged) return;
    this.stmts.updateProduct.run(
      p.title, p.brand, p.category, p.price, p.currency, attributes, p.fingerprint, searchText(p), now, p.id,
    );
    result.updated.push(p.id);
  }

  /** Products with their images, in the order of `ids`; unknown ids skipped. */
  private loadProducts(ids: string[]): Product[] {
    if (ids.length === 0) return [];
    const rows = this.stmts.productsByIds.all(JSON.stringify(ids)) as ProductRow[];
    const byId = new Map(this.attachImages(rows).map((p) => [p.id, p]));
    const out: Product[] = [];
    for (const id of ids) {
      const p = byId.get(id);
      if (p) out.push(p);
    }
    return out;
  }

  private attachImages(rows: ProductRow[]): Product[] {
    if (rows.length === 0) return [];
    const images = this.stmts.imagesOfProducts.all(JSON.stringify(rows.map((r) => r.id))) as ImageRow[];
    const byProduct = new Map<string, ProductImage[]>();
    for (const img of images) {
      let list = byProduct.get(img.product_id);
      if (!list) byProduct.set(img.product_id, (list = []));
      list.push(toImage(img));
    }
    return rows.map((r) => toProduct(r, byProduct.get(r.id) ?? []));
  }

  private dynamic(sql: string, pluck = false): Database.Statement {
    const cacheKey = pluck ? `pluck:${sql}` : sql;
    let stmt = this.dynamicStmts.get(cacheKey);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (pluck) stmt.pluck();
      this.dynamicStmts.set(cacheKey, stmt);
    }
    return stmt;
  }

  private async run<T>(operation: string, fn: () => T): Promise<T> {
    try {
      return fn();
    } catch (err) {
      throw wrapError(err, operation);
    }
  }
}

function prepareStatements(db: Database.Database) {
  return {
    productById: db.prepare('SELECT * FROM products WHERE id = ?'),
    productsByIds: db.prepare('SELECT * FROM products WHERE id IN (SELECT value FROM json_each(?))'),
    fingerprints: db.prepare('SELECT id, fingerprint FROM products WHERE id IN (SELECT value FROM json_each(?))'),
    allIds: db.prepare('SELECT id FROM products ORDER BY id').pluck(),
    insertProduct: db.prepare(
      `INSERT INTO products (id, title, brand, category, price, currency, attributes, fingerprint, search_text,
       created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateProduct: db.prepare(
      `UPDATE products SET title = ?, brand = ?, category = ?, price = ?, currency = ?, attributes = ?,
       fingerprint = ?, search_text = ?, updated_at = ? WHERE id = ?`,
    ),
    deleteProduct: db.prepare('DELETE FROM products WHERE id = ?'),
    insertImage: db.prepare(
      `INSERT INTO images (product_id, position, source, sha256, width, height, vector)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateImageMeta: db.prepare('UPDATE images SET source = ?, width = ?, height = ? WHERE key = ?'),
    deleteImage: db.prepare('DELETE FROM images WHERE key = ?'),
    imageKeysOfProduct: db.prepare('SELECT key FROM images WHERE product_id = ? ORDER BY position').pluck(),
    imagesWithVectorsOfProduct: db.prepare(`SELECT ${IMAGE_COLUMNS}, vector FROM images WHERE product_id = ?`),
    imagesOfProducts: db.prepare(
      `SELECT ${IMAGE_COLUMNS} FROM images WHERE product_id IN (SELECT value FROM json_each(?))
       ORDER BY product_id, position`,
    ),
    imagesByKeys: db.prepare(`SELECT ${IMAGE_COLUMNS} FROM images WHERE key IN (SELECT value FROM json_each(?))`),
    imageByKey: db.prepare(`SELECT ${IMAGE_COLUMNS} FROM images WHERE key = ?`),
    vectorsOfProduct: db.prepare('SELECT key, vector FROM images WHERE product_id = ? ORDER BY position'),
    vectorBySha: db.prepare('SELECT vector, width, height FROM images WHERE sha256 = ? ORDER BY key LIMIT 1'),
    vectorsAfter: db.prepare('SELECT key, vector FROM images WHERE key > ? ORDER BY key LIMIT ?'),
    vectorsByKeys: db.prepare('SELECT key, vector FROM images WHERE key IN (SELECT value FROM json_each(?))'),
    bumpVersion: db.prepare(
      `UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'version'`,
    ),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    putLocalFeatures: db.prepare(
      `INSERT INTO local_features (sha256, features) VALUES (?, ?)
       ON CONFLICT (sha256) DO UPDATE SET features = excluded.features, words = NULL, vocabulary = NULL`,
    ),
    localFeatureShas: db.prepare('SELECT sha256 FROM local_features WHERE sha256 IN (SELECT value FROM json_each(?))').pluck(),
    localFeaturesByKeys: db.prepare(
      `SELECT i.key, lf.sha256, lf.features, lf.words, lf.vocabulary FROM images i JOIN local_features lf ON lf.sha256 = i.sha256
       WHERE i.key IN (SELECT value FROM json_each(?))`,
    ),
    localFeaturesAfter: db.prepare(
      `SELECT sha256, features, words, vocabulary FROM local_features lf
       WHERE sha256 > ? AND EXISTS (SELECT 1 FROM images i WHERE i.sha256 = lf.sha256) ORDER BY sha256 LIMIT ?`,
    ),
    setLocalWords: db.prepare('UPDATE local_features SET words = ?, vocabulary = ? WHERE sha256 = ?'),
    localWordsAfter: db.prepare(
      `SELECT i.key, lf.words, lf.features FROM images i JOIN local_features lf ON lf.sha256 = i.sha256
       WHERE lf.vocabulary = ? AND i.key > ? ORDER BY i.key LIMIT ?`,
    ),
    clearImageClusters: db.prepare('DELETE FROM image_clusters'),
    insertImageCluster: db.prepare(
      'INSERT INTO image_clusters (key, cluster, x, y) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM images WHERE key = ?)',
    ),
    allImageClusters: db.prepare('SELECT key, cluster, x, y FROM image_clusters ORDER BY key'),
    imageClustersByKeys: db.prepare('SELECT key, cluster, x, y FROM image_clusters WHERE key IN (SELECT value FROM json_each(?))'),
    putImageHash: db.prepare(
      `INSERT INTO image_hashes (sha256, pixel_hash, phash) VALUES (?, ?, ?)
       ON CONFLICT (sha256) DO UPDATE SET pixel_hash = excluded.pixel_hash, phash = excluded.phash`,
    ),
    imageHashesByShas: db.prepare(
      'SELECT sha256, pixel_hash AS pixelHash, phash FROM image_hashes WHERE sha256 IN (SELECT value FROM json_each(?))',
    ),
    appendSearchLog: db.prepare('INSERT INTO search_log (at, kind, category, cluster, top_ids) VALUES (?, ?, ?, ?, ?)'),
    readSearchLog: db.prepare('SELECT at, kind, category, cluster, top_ids FROM search_log WHERE at >= ? AND at < ? ORDER BY at, id'),
    pruneSearchLog: db.prepare('DELETE FROM search_log WHERE at < ?'),
    productStats: db.prepare('SELECT count(*) AS n, min(price) AS lo, max(price) AS hi FROM products'),
    imageCount: db.prepare('SELECT count(*) FROM images').pluck(),
    categoryCounts: db.prepare(
      `SELECT category AS name, count(*) AS count FROM products WHERE category IS NOT NULL
       GROUP BY category ORDER BY count DESC, name ASC`,
    ),
    brandCounts: db.prepare(
      `SELECT brand AS name, count(*) AS count FROM products WHERE brand IS NOT NULL
       GROUP BY brand ORDER BY count DESC, name ASC`,
    ),
  };
}

/**
 * WHERE clause over products aliased `p`. Lists are bound as one JSON parameter, so the SQL
 * text (and the cached statement) depends only on which filter kinds are present.
 * An empty category/brand list means "no constraint", like an absent one.
 */
function buildWhere(filter: SearchFilter | undefined, query: string | undefined): WhereClause {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filter?.category && filter.category.length > 0) {
    parts.push('p.category IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(filter.category));
  }
  if (filter?.brand && filter.brand.length > 0) {
    parts.push('p.brand IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(filter.brand));
  }
  // NULL prices fail these comparisons, so unpriced products never pass a price filter.
  if (filter?.priceMin !== undefined) {
    parts.push('p.price >= ?');
    params.push(finiteNumber(filter.priceMin, 'priceMin'));
  }
  if (filter?.priceMax !== undefined) {
    parts.push('p.price <= ?');
    params.push(finiteNumber(filter.priceMax, 'priceMax'));
  }
  for (const [key, value] of Object.entries(filter?.attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (/["\\]/.test(key)) {
      // SQLite JSON paths cannot quote these characters; json_each compares keys verbatim.
      parts.push('EXISTS (SELECT 1 FROM json_each(p.attributes) a WHERE a.key = ? AND a.value = ?)');
      params.push(key, String(value));
    } else {
      parts.push('json_extract(p.attributes, ?) = ?');
      params.push(`$."${key}"`, String(value));
    }
  }
  // Newlines separate the fields in search_text, so a query never matches across two fields.
  const q = query?.replace(/\s+/g, ' ').trim().toLowerCase();
  if (q) {
    parts.push('instr(p.search_text, ?) > 0');
    params.push(q);
  }
  return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', params };
}

function finiteNumber(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new AppError('INVALID_PARAMETER', `${name} must be a finite number`, { details: { [name]: value } });
  }
  return value;
}

/** What listProducts' `query` is matched against: see the search_text column. */
function searchText(p: ProductWrite): string {
  return [p.id, p.title, p.brand ?? ''].map((s) => s.replace(/\s+/g, ' ').toLowerCase()).join('\n');
}

/** Attributes with sorted keys, so equal attribute sets store (and compare) as equal text. */
function canonicalJson(attributes: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(attributes).sort()) sorted[key] = String(attributes[key]);
  return JSON.stringify(sorted);
}

function toImage(r: ImageRow): ProductImage {
  return {
    key: r.key,
    productId: r.product_id,
    position: r.position,
    source: r.source,
    sha256: r.sha256,
    width: r.width,
    height: r.height,
  };
}

function toProduct(r: ProductRow, images: ProductImage[]): Product {
  return {
    id: r.id,
    title: r.title,
    brand: r.brand,
    category: r.category,
    price: r.price,
    currency: r.currency,
    attributes: JSON.parse(r.attributes) as Record<string, string>,
    images,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function wrapError(err: unknown, operation: string): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const sqliteCode = (err as { code?: unknown } | null)?.code;
  return new AppError('STORE_ERROR', `catalog store ${operation} failed: ${message}`, {
    cause: err,
    details: typeof sqliteCode === 'string' ? { operation, sqliteCode } : { operation },
  });
}
