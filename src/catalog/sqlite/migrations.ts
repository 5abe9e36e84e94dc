import type Database from 'better-sqlite3';
import { AppError } from '../../domain/errors.js';

/**
 * Schema migrations, in order. Migration i (0-based) brings the schema from
 * `PRAGMA user_version = i` to `i + 1`. Never edit a released migration: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: initial schema
  `
  CREATE TABLE products (
    id          TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),
    title       TEXT NOT NULL,
    brand       TEXT,
    category    TEXT,
    price       REAL CHECK (price IS NULL OR price >= 0),
    currency    TEXT,
    attributes  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    fingerprint TEXT NOT NULL,
    -- id, title and brand lower-cased by JS (Unicode-aware, unlike SQLite's lower()), joined by
    -- newlines: listProducts' substring search scans this with native instr().
    search_text TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  );
  -- AUTOINCREMENT: keys are vector-index keys, and a reused key could resurrect a deleted
  -- product in an index that missed the delete.
  CREATE TABLE images (
    key        INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL CHECK (position >= 0),
    source     TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    width      INTEGER NOT NULL CHECK (width > 0),
    height     INTEGER NOT NULL CHECK (height > 0),
    vector     BLOB NOT NULL CHECK (typeof(vector) = 'blob' AND length(vector) > 0 AND length(vector) % 4 = 0),
    UNIQUE (product_id, position)
  );
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
  );
  CREATE INDEX products_category ON products(category);
  CREATE INDEX products_brand ON products(brand);
  CREATE INDEX products_price ON products(price);
  CREATE INDEX images_sha256 ON images(sha256);
  INSERT INTO meta (key, value) VALUES ('version', '0');
  `,
  // 2: local features (ORB keypoints + descriptors) for product lookup, keyed by image content:
  // the same bytes always give the same features, so re-ingesting or sharing an image across
  // products reuses them. `words` is the image's visual words under vocabulary `vocabulary`.
  `
  CREATE TABLE local_features (
    sha256     TEXT PRIMARY KEY NOT NULL,
    features   BLOB NOT NULL,
    words      BLOB,
    vocabulary TEXT
  );
  CREATE INDEX local_features_vocabulary ON local_features(vocabulary);
  `,
  // 3: catalog insights. Cluster assignments and 2-D map positions per image (replaced by each
  // clustering run; gone with their image). Duplicate-detection hashes per image content, like
  // local_features. The anonymous search log: time, kind of query, matched category and cluster,
  // top product ids; never the photo, never the caller's address.
  `
  CREATE TABLE image_clusters (
    key     INTEGER PRIMARY KEY NOT NULL REFERENCES images(key) ON DELETE CASCADE,
    cluster INTEGER NOT NULL CHECK (cluster >= 0),
    x       REAL NOT NULL,
    y       REAL NOT NULL
  );
  CREATE INDEX image_clusters_cluster ON image_clusters(cluster);
  CREATE TABLE image_hashes (
    sha256     TEXT PRIMARY KEY NOT NULL,
    pixel_hash TEXT NOT NULL,
    phash      TEXT NOT NULL
  );
  CREATE TABLE search_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    kind     TEXT NOT NULL,
    category TEXT,
    cluster  INTEGER,
    top_ids  TEXT NOT NULL CHECK (json_valid(top_ids))
  );
  CREATE INDEX search_log_at ON search_log(at);
  `,
];

/**
 * Brings the database up to the latest schema. Each migration runs in its own IMMEDIATE
 * transaction and re-reads user_version inside it, so two processes opening a fresh file at
 * the same time cannot both apply the same migration.
 */
export function migrate(db: Database.Database): number {
  const readVersion = (): number => db.pragma('user_version', { simple: true }) as number;
  const current = readVersion();
  if (current > MIGRATIONS.length) {
    throw new AppError(
      'STORE_ERROR',
      `catalog database schema version ${current} is newer than this shoplens supports (${MIGRATIONS.length})`,
      { details: { schemaVersion: current, supported: MIGRATIONS.length } },
    );
  }
  for (let target = current + 1; target <= MIGRATIONS.length; target++) {
    const apply = db.transaction(() => {
      if (readVersion() >= target) return; // another process got there first
      db.exec(MIGRATIONS[target - 1]!);
      // user_version cannot be bound as a parameter; target is our own integer.
      db.pragma(`user_version = ${target}`);
    });
    apply.immediate();
  }
  return readVersion();
}
