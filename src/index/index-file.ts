import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, isAppError } from '../domain/errors.js';
import { identityKey, type ExtractorIdentity } from '../features/feature-extractor.js';
import type { VectorIndex } from './vector-index.js';
import { writeAtomically } from './atomic-file.js';
import { loadVectorIndex, VECTOR_INDEX_KINDS, type LoadVectorIndexOptions, type VectorIndexKind } from './create-index.js';

/*
 * An index directory holds two files:
 *   index.<kind>.bin   the index itself (VectorIndex.save)
 *   index.meta.json    IndexMeta: who made the vectors and which store state they reflect
 * The data file is written first and the meta last, each atomically, so the meta never names
 * a state that is not fully on disk. A crash between the two leaves an old meta next to a newer
 * data file; openIndex then sees a count that does not match and asks for a rebuild.
 */

export const INDEX_META_FILE = 'index.meta.json';
export const INDEX_META_FORMAT = 1;

export interface IndexMeta {
  /** Version of this meta layout; bumped when fields change meaning. */
  format: number;
  kind: VectorIndexKind;
  dimensions: number;
  metric: 'cosine' | 'euclidean';
  /** Identity of the extractor that produced every vector in the index. */
  extractor: ExtractorIdentity;
  /** The catalog store's high-water mark when the index was saved. */
  storeVersion: number;
  /** Number of keys in the index file. */
  count: number;
  /** Data file name, relative to the directory. */
  file: string;
  savedAt: string;
}

const metricSchema = z.enum(['cosine', 'euclidean']);
const indexMetaSchema = z.object({
  format: z.literal(INDEX_META_FORMAT),
  kind: z.enum(VECTOR_INDEX_KINDS),
  dimensions: z.number().int().positive(),
  metric: metricSchema,
  extractor: z.object({
    name: z.string(),
    version: z.string(),
    dimensions: z.number().int().positive(),
    metric: metricSchema,
    preprocessing: z.string(),
  }),
  storeVersion: z.number().int().nonnegative(),
  count: z.number().int().nonnegative(),
  file: z.string().regex(/^[\w.-]+$/),
  savedAt: z.string(),
});

export function indexDataFile(kind: VectorIndexKind): string {
  return `index.${kind}.bin`;
}

/** Writes `meta` as JSON to `path`, atomically. */
export async function writeIndexMeta(path: string, meta: IndexMeta): Promise<void> {
  const parsed = indexMetaSchema.safeParse(meta);
  if (!parsed.success) {
    throw new AppError('INVALID_PARAMETER', `refusing to write invalid index meta: ${parsed.error.message}`, { details: { path } });
  }
  const json = JSON.stringify(parsed.data, null, 2) + '\n';
  await writeAtomically(path, (tmp) => writeFile(tmp, json, 'utf8'));
}

/**
 * Reads the meta at `path`: null when the file does not exist, AppError INDEX_CORRUPT when it
 * exists but is not valid meta JSON.
 */
export async function readIndexMeta(path: string): Promise<IndexMeta | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AppError('INDEX_CORRUPT', `cannot read index meta ${path}`, { cause: err, details: { path } });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AppError('INDEX_CORRUPT', `index meta ${path} is not JSON`, { cause: err, details: { path } });
  }
  const parsed = indexMetaSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('INDEX_CORRUPT', `index meta ${path} is invalid: ${parsed.error.message}`, { details: { path } });
  }
  return parsed.data;
}

export interface SaveIndexOptions {
  extractor: ExtractorIdentity;
  storeVersion: number;
}

/** Saves `index` and its meta into `dir` (which must exist); returns the meta written. */
export async function saveIndex(dir: string, index: VectorIndex, options: SaveIndexOptions): Promise<IndexMeta> {
  const kind = index.kind as VectorIndexKind;
  if (!VECTOR_INDEX_KINDS.includes(kind)) {
    throw new AppError('INVALID_PARAMETER', `cannot save an index of unknown kind "${index.kind}"`);
  }
  if (options.extractor.dimensions !== index.dimensions || options.extractor.metric !== index.metric) {
    throw new AppError('EXTRACTOR_MISMATCH', `extractor ${identityKey(options.extractor)} does not match the index (${index.dimensions}-d ${index.metric})`);
  }
  const file = indexDataFile(kind);
  const count = index.size();
  await index.save(join(dir, file));
  const meta: IndexMeta = {
    format: INDEX_META_FORMAT,
    kind,
    dimensions: index.dimensions,
    metric: index.metric,
    extractor: { ...options.extractor },
    storeVersion: options.storeVersion,
    count,
    file,
    savedAt: new Date().toISOString(),
  };
  await writeIndexMeta(join(dir, INDEX_META_FILE), meta);
  // After a switch of SHOPLENS_INDEX, the previous kind's data file is no longer named by the meta.
  for (const other of VECTOR_INDEX_KINDS) if (other !== kind) await rm(join(dir, indexDataFile(other)), { force: true });
  return meta;
}

export interface OpenIndexExpectation {
  /** The extractor the caller will use for queries and new vectors. */
  extractor: ExtractorIdentity;
  /** The catalog store's current high-water mark. */
  storeVersion: number;
  /** When given, an index of another kind counts as a mismatch (configuration changed). */
  kind?: VectorIndexKind;
  load?: LoadVectorIndexOptions;
}

/** Why a stored index cannot be used; every reason means "rebuild from the store". */
export type OpenIndexRejection =
  | 'missing'
  | 'corrupt'
  | 'kind-mismatch'
  | 'extractor-mismatch'
  | 'store-version-mismatch';

export type OpenIndexResult =
  | { index: VectorIndex; meta: IndexMeta }
  | { index: null; reason: OpenIndexRejection; message: string };

/**
 * Opens the index saved in `dir` if, and only if, it can be trusted for `expected`: same
 * extractor identity (every field), same store version, optionally same kind, and a data file
 * that loads and holds the count the meta promises. Otherwise returns `{ index: null, reason }`
 * and the caller rebuilds from the catalog store. Never throws for a missing, unreadable or
 * damaged index.
 */
export async function openIndex(dir: string, expected: OpenIndexExpectation): Promise<OpenIndexResult> {
  const reject = (reason: OpenIndexRejection, message: string): OpenIndexResult => ({ index: null, reason, message });
  let meta: IndexMeta | null;
  try {
    meta = await readIndexMeta(join(dir, INDEX_META_FILE));
  } catch (err) {
    return reject('corrupt', isAppError(err) ? err.message : String(err));
  }
  if (meta === null) return reject('missing', `no index in ${dir}`);
  if (expected.kind !== undefined && meta.kind !== expected.kind) {
    return reject('kind-mismatch', `stored index is ${meta.kind}, ${expected.kind} was requested`);
  }
  const stored = identityKey(meta.extractor), wanted = identityKey(expected.extractor);
  if (stored !== wanted) {
    return reject('extractor-mismatch', `index was built by ${stored}, current extractor is ${wanted}`);
  }
  if (meta.storeVersion !== expected.storeVersion) {
    return reject('store-version-mismatch', `index reflects store version ${meta.storeVersion}, store is at ${expected.storeVersion}`);
  }
  let index: VectorIndex;
  try {
    index = await loadVectorIndex(meta.kind, join(dir, meta.file), expected.load ?? {});
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject('missing', `index data file ${meta.file} is missing`);
    // Anything else a damaged file can provoke (short reads, bad sizes, native loader errors)
    // is handled the same way: the store can always rebuild the index.
    return reject('corrupt', err instanceof Error ? err.message : String(err));
  }
  if (index.dimensions !== meta.dimensions || index.metric !== meta.metric || index.size() !== meta.count) {
    return reject('corrupt', `index data (${index.size()} × ${index.dimensions}-d ${index.metric}) does not match its meta (${meta.count} × ${meta.dimensions}-d ${meta.metric})`);
  }
  return { index, meta };
}
