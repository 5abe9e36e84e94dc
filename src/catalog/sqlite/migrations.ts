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
