import { createReadStream } from 'node:fs';
import { appendFile, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import usearch from 'usearch';
import { AppError } from '../../domain/errors.js';
import type { Metric } from '../../domain/vector.js';
import type { Neighbor, VectorIndex, VectorIndexOptions } from '../vector-index.js';
import { writeAtomically } from '../atomic-file.js';
import { assertIndexOptions, assertK, assertUpsertBatch, assertVector } from '../vector-checks.js';

/** How usearch stores each vector: float32, half precision, or signed bytes (cosine only). */
export type UsearchQuantization = 'f32' | 'f16' | 'i8';
export const USEARCH_QUANTIZATIONS: readonly UsearchQuantization[] = ['f32', 'f16', 'i8'];

/**
 * HNSW graph parameters. M = 16 keeps the graph at ~64 B per vector on level 0 (neighbour slots
 * are 4 bytes), which is what makes ≤ 1 KB per 512-d vector possible under i8 (bench/ann/
 * scale-usearch.bench.ts: 762 B/vector loaded at 1M). efSearch is fixed for the lifetime of an
 * instance: usearch 2.25's JS binding has no setter, so it is chosen at create() or open().
 */
export interface UsearchOptions {
  /** Graph degree (usearch `connectivity`). */
  M: number;
  /** Candidate list size while inserting (`expansion_add`). */
  efConstruction: number;
  /** Candidate list size while searching (`expansion_search`; usearch raises it to k when k is larger). */
  efSearch: number;
  /**
   * Threads for batch inserts (usearch's own thread pool) once the index holds
   * SINGLE_THREAD_ADD_BELOW vectors (one thread before); search always runs on the caller's thread.
   */
  addThreads: number;
}

export const DEFAULT_USEARCH_OPTIONS: Readonly<UsearchOptions> = Object.freeze({
  M: 16,
  efConstruction: 128,
  efSearch: 128,
  addThreads: 2,
});

export interface UsearchVectorIndexOptions extends VectorIndexOptions {
  quantization: UsearchQuantization;
  usearch?: Partial<UsearchOptions>;
}

/** Options that may change when an index file is reopened (the graph shape is fixed by the file). */
export type UsearchOpenOptions = Partial<Pick<UsearchOptions, 'efSearch' | 'addThreads'>>;

/*
 * File format: usearch's own save() output, then a 64-byte trailer (little-endian). The trailer
 * goes last because usearch can only load from a path and reads from offset 0: with the blob
 * first, open() verifies the checksum in one pass and hands the same file to usearch, without a
 * temporary copy (usearch's stream reader ignores trailing bytes).
 *   0  magic "SLUSRCH\0" (8 bytes)
 *   8  u32 format version (1)
 *  12  u32 dimensions
 *  16  u32 metric (0 = cosine, 1 = euclidean)
 *  20  u32 quantization (0 = f32, 1 = f16, 2 = i8)
 *  24  u32 M
 *  28  u32 efConstruction
 *  32  f64 live key count
 *  40  f64 usearch blob byte length B (= file size - 64)
 *  48  u32 CRC-32 of the blob
 *  52  u32 CRC-32 of trailer bytes 0–51 (a flipped quantisation code must not pass as another kind)
 *  56  8 bytes reserved (0)
 * The checksum matters: usearch's loader trusts sizes read from its file, and a torn or
 * truncated file must surface as INDEX_CORRUPT (rebuild), not as a native crash.
 */
const MAGIC = Buffer.from('SLUSRCH\0', 'latin1');
const FORMAT_VERSION = 1;
const TRAILER_BYTES = 64;
const METRIC_CODES: Record<Metric, number> = { cosine: 0, euclidean: 1 };
const QUANT_CODES: Record<UsearchQuantization, number> = { f32: 0, f16: 1, i8: 2 };
/** Filtered search grows its candidate list by this factor until k keys pass (or the index is exhausted). */
const FILTER_GROWTH = 4;
/**
 * usearch 2.25's multi-threaded add leaves some nodes unreachable while the graph is small: with
 * two threads, 24 random 512-d vectors queried as themselves at k = 10 miss in 1.3% of queries
 * (0 with one thread), 0.8% at 100, 0.3% at 500, 0.16% at 1,000 (one thread: 0.01%), 0.63% at
 * 5,000 (0.50%); at 50,000 the two are alike and two threads add 1.8× faster (20,000 queries per
 * size, 2 cores). So a batch is inserted on one thread until the index holds this many vectors,
 * and on `addThreads` beyond.
 */
export const SINGLE_THREAD_ADD_BELOW = 10_000;

type NativeIndex = InstanceType<typeof usearch.Index>;

/**
 * Approximate index on usearch 2.25 (HNSW) with scalar quantisation: f16 halves the vector
 * memory of float32, i8 quarters it (the route to ≤ 1 KB per product at 1M in issue 3).
 *
 * Keys are usearch's 64-bit keys directly (SQLite rowids < 2^53 fit), so there is no key table.
 * Replacing a key = remove + add (usearch refuses duplicate keys); usearch recycles removed slots.
 *
 * Distances: cosine = usearch's `cos` (1 - cos), euclidean = √ of usearch's `l2sq`. Under f16 and
 * i8 they are computed on the quantised vectors, so they are approximate (i8: ~1e-2); wrap the
 * index in RerankedVectorIndex to re-rank candidates with exact float32 vectors from the store.
 * i8 supports cosine only: usearch scales every vector to unit length before quantising it to
 * [-127, 127], which keeps angles and loses lengths, so euclidean distances would be wrong.
 *
 * Filtered search: usearch's JS binding has no in-graph predicate, so search() over-fetches
 * (k × 4, then × 4 again …) and filters, until k keys pass or the candidate list covers the whole
 * index (then every live key reachable in the graph has been seen; usearch keeps removed nodes as
 * routing points, so removals do not cut the graph).
 */
export class UsearchVectorIndex implements VectorIndex {
  readonly kind: `usearch-${UsearchQuantization}`;
  readonly dimensions: number;
  readonly metric: Metric;
  readonly quantization: UsearchQuantization;
  readonly options: Readonly<UsearchOptions>;
  /** Insert threads usearch reserved contexts for (see addNative); a loaded index is taken to have one. */
  private reservedThreads = 1;

  private constructor(
    dimensions: number,
    metric: Metric,
    quantization: UsearchQuantization,
    options: UsearchOptions,
    private readonly native: NativeIndex,
  ) {
    this.kind = `usearch-${quantization}`;
    this.dimensions = dimensions;
    this.metric = metric;
    this.quantization = quantization;
    this.options = Object.freeze({ ...options });
  }

  /** A new, empty index. */
  static create(options: UsearchVectorIndexOptions): UsearchVectorIndex {
    assertIndexOptions(options.dimensions, options.metric);
    assertQuantization(options.quantization, options.metric);
    const opts = resolveOptions(options.usearch);
    const native = newNative(options.dimensions, options.metric, options.quantization, opts);
    return new UsearchVectorIndex(options.dimensions, options.metric, options.quantization, opts, native);
  }

  /** Reads a file written by save(); AppError INDEX_CORRUPT when it is not a valid index file. */
  static async open(path: string, options: UsearchOpenOptions = {}): Promise<UsearchVectorIndex> {
    const corrupt = (why: string, cause?: unknown): AppError =>
      new AppError('INDEX_CORRUPT', `${path}: ${why}`, { details: { path, kind: 'usearch' }, cause });
    const requested = resolveOptions(definedOnly(options)); // the caller's mistakes are INVALID_PARAMETER, not INDEX_CORRUPT
    const { size } = await stat(path);
    if (size < TRAILER_BYTES) throw corrupt('not a usearch index file (too short)');
    const trailer = Buffer.alloc(TRAILER_BYTES);
    const fh = await open(path, 'r');
    let crc = 0;
    try {
      const { bytesRead } = await fh.read(trailer, 0, TRAILER_BYTES, size - TRAILER_BYTES);
      if (bytesRead !== TRAILER_BYTES) throw corrupt('short read');
      if (!trailer.subarray(0, 8).equals(MAGIC)) throw corrupt('not a usearch index file');
      if (crc32(trailer.subarray(0, 52)) !== trailer.readUInt32LE(52)) throw corrupt('trailer checksum mismatch');
      if (trailer.readDoubleLE(40) !== size - TRAILER_BYTES) throw corrupt(`size ${size} does not match the trailer`);
      // One reused buffer: a stream would leave ~a file's worth of freed chunks in the process's RSS.
      const chunk = Buffer.allocUnsafe(Math.min(4 << 20, Math.max(1, size)));
      for (let pos = 0; pos < size - TRAILER_BYTES; ) {
        const { bytesRead: got } = await fh.read(chunk, 0, Math.min(chunk.length, size - TRAILER_BYTES - pos), pos);
        if (got === 0) throw corrupt('short read');
        crc = crc32(chunk.subarray(0, got), crc);
        pos += got;
      }
    } finally {
      await fh.close();
    }
    const version = trailer.readUInt32LE(8);
    if (version !== FORMAT_VERSION) throw corrupt(`unsupported format version ${version}`);
    const dimensions = trailer.readUInt32LE(12);
    const metric = codeOf(METRIC_CODES, trailer.readUInt32LE(16));
    const quantization = codeOf(QUANT_CODES, trailer.readUInt32LE(20));
    const M = trailer.readUInt32LE(24);
    const efConstruction = trailer.readUInt32LE(28);
    const live = trailer.readDoubleLE(32);
    const blobCrc = trailer.readUInt32LE(48);
    if (metric === undefined || quantization === undefined || dimensions === 0 || !Number.isSafeInteger(live) || live < 0) {
      throw corrupt('bad trailer');
    }
    if (crc !== blobCrc) throw corrupt('checksum mismatch');

    let opts: UsearchOptions;
    try {
      opts = resolveOptions({ ...requested, M, efConstruction, ...definedOnly(options) });
      assertQuantization(quantization, metric);
    } catch (err) {
      throw corrupt('bad parameters in trailer', err);
    }
    const native = newNative(dimensions, metric, quantization, opts);
    try {
      native.load(path);
    } catch (err) {
      throw corrupt('usearch could not read the index', err);
    }
    if (native.dimensions() !== dimensions) throw corrupt('index dimensions differ from the trailer');
    if (native.size() !== live) throw corrupt(`index holds ${native.size()} keys, trailer says ${live}`);
    return new UsearchVectorIndex(dimensions, metric, quantization, opts, native);
  }

  upsert(keys: readonly number[], vectors: readonly Float32Array[]): void {
    assertUpsertBatch(keys, vectors, this.dimensions);
    if (keys.length === 0) return;
    // A batch naming a key twice keeps the last vector (usearch refuses duplicates within a call too).
    const last = new Map<number, number>();
    keys.forEach((key, i) => last.set(key, i));
    const batchKeys = new BigUint64Array(last.size);
    const flat = new Float32Array(last.size * this.dimensions);
    let row = 0;
    for (const [key, i] of last) {
      batchKeys[row] = BigInt(key);
      flat.set(vectors[i]!, row * this.dimensions);
      row++;
    }
    const present = this.native.contains(batchKeys) as boolean[];
    const replaced = batchKeys.filter((_, i) => present[i]);
    if (replaced.length > 0) this.native.remove(replaced);
    const alone = Math.min(batchKeys.length, Math.max(0, SINGLE_THREAD_ADD_BELOW - this.native.size()));
    if (alone > 0) this.addNative(batchKeys.subarray(0, alone), flat.subarray(0, alone * this.dimensions), 1);
    if (alone < batchKeys.length) this.addNative(batchKeys.subarray(alone), flat.subarray(alone * this.dimensions), this.options.addThreads);
  }

  /**
   * usearch keeps per-thread insert contexts for the thread count of its last reservation, and
   * reserves only when an add outgrows its capacity (to the next power of two); an add on more
   * threads than reserved fails with "Reserve capacity ahead of insertions!". So an add that does
   * not grow the index runs on at most the reserved threads.
   */
  private addNative(keys: BigUint64Array, flat: Float32Array, threads: number): void {
    const grows = this.native.size() + keys.length >= this.native.capacity();
    const used = grows ? threads : Math.min(threads, this.reservedThreads);
    this.native.add(keys, flat, used);
    if (grows) this.reservedThreads = used;
  }

  remove(keys: readonly number[]): void {
    const valid = keys.filter((k) => Number.isSafeInteger(k) && k >= 0);
    if (valid.length > 0) this.native.remove(BigUint64Array.from(valid, BigInt));
  }

  has(key: number): boolean {
    return Number.isSafeInteger(key) && key >= 0 && this.native.contains(BigInt(key)) === true;
  }

  size(): number {
    return this.native.size();
  }

  search(query: Float32Array, k: number, filter?: (key: number) => boolean): Neighbor[] {
    assertVector(query, this.dimensions, 'query');
    assertK(k);
    const size = this.native.size();
    const wanted = Math.min(k, size);
    if (wanted === 0) return [];
    // Cosine with a zero vector is 1 by convention; usearch gives 0 for zero against zero.
    const zeroQuery = this.metric === 'cosine' && query.every((x) => x === 0);
    if (filter === undefined) return this.nearest(query, wanted, zeroQuery);

    const verdicts = new Map<number, boolean>();
    const passes = (key: number): boolean => {
      let v = verdicts.get(key);
      if (v === undefined) verdicts.set(key, (v = filter(key)));
      return v;
    };
    for (let fetch = Math.min(size, wanted * FILTER_GROWTH); ; fetch = Math.min(size, fetch * FILTER_GROWTH)) {
      const found = this.nearest(query, fetch, zeroQuery);
      const passing = found.filter((n) => passes(n.key));
      if (passing.length >= wanted || fetch >= size || found.length < fetch) return passing.slice(0, wanted);
    }
  }

  async save(path: string): Promise<void> {
    const tmpDir = await mkdtemp(join(tmpdir(), 'shoplens-usearch-'));
    try {
      // Snapshot synchronously (native save to a temp file) so that calls made while the copy
      // below is awaited cannot tear the saved state.
      const blobPath = join(tmpDir, 'index.usearch');
      this.native.save(blobPath);
      const live = this.native.size();
      await writeAtomically(path, async (tmp) => {
        const out = await open(tmp, 'w');
        let crc = 0, blobBytes = 0;
        try {
          for await (const chunk of createReadStream(blobPath)) {
            const b = chunk as Buffer;
            crc = crc32(b, crc);
            await out.write(b, 0, b.length, blobBytes);
            blobBytes += b.length;
          }
        } finally {
          await out.close();
        }
        const trailer = Buffer.alloc(TRAILER_BYTES);
        MAGIC.copy(trailer, 0);
        trailer.writeUInt32LE(FORMAT_VERSION, 8);
        trailer.writeUInt32LE(this.dimensions, 12);
        trailer.writeUInt32LE(METRIC_CODES[this.metric], 16);
        trailer.writeUInt32LE(QUANT_CODES[this.quantization], 20);
        trailer.writeUInt32LE(this.options.M, 24);
        trailer.writeUInt32LE(this.options.efConstruction, 28);
        trailer.writeDoubleLE(live, 32);
        trailer.writeDoubleLE(blobBytes, 40);
        trailer.writeUInt32LE(crc, 48);
        trailer.writeUInt32LE(crc32(trailer.subarray(0, 52)), 52);
        await appendFile(tmp, trailer);
      });
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
  }

  /** The `count` nearest live keys in port distances, nearest first (ties by key). */
  private nearest(query: Float32Array, count: number, zeroQuery: boolean): Neighbor[] {
    const res = this.native.search(query, count, 1);
    const out: Neighbor[] = new Array<Neighbor>(res.keys.length);
    for (let i = 0; i < res.keys.length; i++) {
      out[i] = { key: Number(res.keys[i]!), distance: zeroQuery ? 1 : this.toPortDistance(res.distances[i]!) };
    }
    return out.sort((a, b) => a.distance - b.distance || a.key - b.key);
  }

  /** usearch's `l2sq` is squared L2; the port promises plain L2. */
  private toPortDistance(d: number): number {
    return this.metric === 'euclidean' ? Math.sqrt(Math.max(0, d)) : d;
  }
}

function newNative(dimensions: number, metric: Metric, quantization: UsearchQuantization, o: UsearchOptions): NativeIndex {
  return new usearch.Index({
    dimensions,
    metric: metric === 'cosine' ? usearch.MetricKind.Cos : usearch.MetricKind.L2sq,
    quantization: { f32: usearch.ScalarKind.F32, f16: usearch.ScalarKind.F16, i8: usearch.ScalarKind.I8 }[quantization],
    connectivity: o.M,
    expansion_add: o.efConstruction,
    expansion_search: o.efSearch,
    multi: false,
  });
}

function assertQuantization(quantization: UsearchQuantization, metric: Metric): void {
  if (!USEARCH_QUANTIZATIONS.includes(quantization)) {
    throw new AppError('INVALID_PARAMETER', `unknown usearch quantization "${String(quantization)}"`, { details: { quantization } });
  }
  if (quantization === 'i8' && metric !== 'cosine') {
    throw new AppError(
      'INVALID_PARAMETER',
      'i8 quantisation supports the cosine metric only (usearch scales each vector to unit length before quantising it)',
      { details: { quantization, metric } },
    );
  }
}

function resolveOptions(partial: Partial<UsearchOptions> | undefined): UsearchOptions {
  const o: UsearchOptions = { ...DEFAULT_USEARCH_OPTIONS, ...definedOnly(partial ?? {}) };
  for (const name of Object.keys(DEFAULT_USEARCH_OPTIONS) as (keyof UsearchOptions)[]) {
    if (!Number.isInteger(o[name]) || o[name] <= 0 || o[name] > 2 ** 31) {
      throw new AppError('INVALID_PARAMETER', `usearch option ${name} must be a positive integer, got ${o[name]}`, {
        details: { [name]: o[name] },
      });
    }
  }
  if (o.M < 2) throw new AppError('INVALID_PARAMETER', `usearch option M must be at least 2, got ${o.M}`);
  return o;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function codeOf<T extends string>(codes: Record<T, number>, code: number): T | undefined {
  return (Object.keys(codes) as T[]).find((name) => codes[name] === code);
}
