import { readFile, writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { AppError } from '../../domain/errors.js';
import { l2normalize, type Metric } from '../../domain/vector.js';
import type { Neighbor, VectorIndex, VectorIndexOptions } from '../vector-index.js';
import { writeAtomically } from '../atomic-file.js';
import {
  assertIndexOptions,
  assertK,
  assertKey,
  assertUpsertBatch,
  assertVector,
  rowDistance,
  TopK,
} from '../vector-checks.js';

export interface ExactVectorIndexOptions extends VectorIndexOptions {
  /** Rows allocated up front; storage doubles when full. */
  initialCapacity?: number;
}

/*
 * File format (little-endian):
 *   0  magic "SLEXACT\0" (8 bytes)
 *   8  u32 format version (1)
 *  12  u32 dimensions
 *  16  u32 metric (0 = cosine, 1 = euclidean)
 *  20  u32 reserved (0)
 *  24  f64 count
 *  32  f64[count] keys
 *   …  f32[count * dimensions] vectors (normalised copies for cosine)
 *   …  u32 CRC-32 of every byte before it
 */
const MAGIC = Buffer.from('SLEXACT\0', 'latin1');
const FORMAT_VERSION = 1;
const HEADER_BYTES = 32;
const METRIC_CODES: Record<Metric, number> = { cosine: 0, euclidean: 1 };

/**
 * Brute-force index: every search scans every row. It is the reference the ANN index is tested
 * against, and a sound choice on its own for small catalogues (tens of thousands of vectors).
 * Rows live in one contiguous Float32Array so the scan is cache-friendly; removal moves the last
 * row into the hole so the storage stays dense.
 */
export class ExactVectorIndex implements VectorIndex {
  readonly kind = 'exact';
  readonly dimensions: number;
  readonly metric: Metric;

  private data: Float32Array;
  private keys: Float64Array;
  private readonly slotOf = new Map<number, number>();
  private count = 0;

  constructor(options: ExactVectorIndexOptions) {
    assertIndexOptions(options.dimensions, options.metric);
    this.dimensions = options.dimensions;
    this.metric = options.metric;
    const cap = Math.max(16, options.initialCapacity ?? 1024);
    this.data = new Float32Array(cap * this.dimensions);
    this.keys = new Float64Array(cap);
  }

  upsert(keys: readonly number[], vectors: readonly Float32Array[]): void {
    assertUpsertBatch(keys, vectors, this.dimensions);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      let slot = this.slotOf.get(key);
      if (slot === undefined) {
        this.ensureCapacity(this.count + 1);
        slot = this.count++;
        this.slotOf.set(key, slot);
        this.keys[slot] = key;
      }
      const row = slot * this.dimensions;
      this.data.set(vectors[i]!, row);
      // Normalise the stored copy, never the caller's array: cosine becomes 1 - dot at search time.
      if (this.metric === 'cosine') l2normalize(this.data.subarray(row, row + this.dimensions));
    }
  }

  remove(keys: readonly number[]): void {
    for (const key of keys) {
      const slot = this.slotOf.get(key);
      if (slot === undefined) continue;
      const last = --this.count;
      if (slot !== last) {
        const d = this.dimensions;
        this.data.copyWithin(slot * d, last * d, (last + 1) * d);
        const movedKey = this.keys[last]!;
        this.keys[slot] = movedKey;
        this.slotOf.set(movedKey, slot);
      }
      this.slotOf.delete(key);
    }
  }

  has(key: number): boolean {
    return this.slotOf.has(key);
  }

  size(): number {
    return this.count;
  }

  search(query: Float32Array, k: number, filter?: (key: number) => boolean): Neighbor[] {
    assertVector(query, this.dimensions, 'query');
    assertK(k);
    if (k === 0 || this.count === 0) return [];
    const q = this.metric === 'cosine' ? l2normalize(Float32Array.from(query)) : query;
    const top = new TopK(Math.min(k, this.count));
    const d = this.dimensions;
    for (let slot = 0; slot < this.count; slot++) {
      const key = this.keys[slot]!;
      if (filter !== undefined && !filter(key)) continue;
      top.push(rowDistance(this.metric, q, this.data, slot * d), key);
    }
    return top.result();
  }

  /** Every (key, vector) pair, in storage order; vectors are views, copy before keeping them. */
  *entries(): IterableIterator<[number, Float32Array]> {
    const d = this.dimensions;
    for (let slot = 0; slot < this.count; slot++) {
      yield [this.keys[slot]!, this.data.subarray(slot * d, (slot + 1) * d)];
    }
  }

  async save(path: string): Promise<void> {
    // Serialise synchronously so that mutations after this call cannot tear the snapshot.
    const buf = this.serialize();
    await writeAtomically(path, (tmp) => writeFile(tmp, buf));
  }

  /** Reads a file written by save(); AppError INDEX_CORRUPT when it is not a valid index file. */
  static async load(path: string): Promise<ExactVectorIndex> {
    const buf = await readFile(path);
    return ExactVectorIndex.deserialize(buf, path);
  }

  private serialize(): Buffer {
    const d = this.dimensions;
    const n = this.count;
    const keyBytes = n * 8;
    const vecBytes = n * d * 4;
    const buf = Buffer.alloc(HEADER_BYTES + keyBytes + vecBytes + 4);
    MAGIC.copy(buf, 0);
    buf.writeUInt32LE(FORMAT_VERSION, 8);
    buf.writeUInt32LE(d, 12);
    buf.writeUInt32LE(METRIC_CODES[this.metric], 16);
    buf.writeUInt32LE(0, 20);
    buf.writeDoubleLE(n, 24);
    Buffer.from(this.keys.buffer, this.keys.byteOffset, keyBytes).copy(buf, HEADER_BYTES);
    Buffer.from(this.data.buffer, this.data.byteOffset, vecBytes).copy(buf, HEADER_BYTES + keyBytes);
    const end = HEADER_BYTES + keyBytes + vecBytes;
    buf.writeUInt32LE(crc32(buf.subarray(0, end)), end);
    return buf;
  }

  private static deserialize(buf: Buffer, path: string): ExactVectorIndex {
    const corrupt = (why: string): AppError =>
      new AppError('INDEX_CORRUPT', `${path}: ${why}`, { details: { path, kind: 'exact' } });
    if (buf.length < HEADER_BYTES + 4 || !buf.subarray(0, 8).equals(MAGIC)) throw corrupt('not an exact index file');
    const version = buf.readUInt32LE(8);
    if (version !== FORMAT_VERSION) throw corrupt(`unsupported format version ${version}`);
    const dimensions = buf.readUInt32LE(12);
    const metricCode = buf.readUInt32LE(16);
    const metric = (Object.keys(METRIC_CODES) as Metric[]).find((m) => METRIC_CODES[m] === metricCode);
    const n = buf.readDoubleLE(24);
    if (metric === undefined || dimensions === 0 || !Number.isSafeInteger(n) || n < 0) throw corrupt('bad header');
    const keyBytes = n * 8;
    const vecBytes = n * dimensions * 4;
    const end = HEADER_BYTES + keyBytes + vecBytes;
    if (buf.length !== end + 4) throw corrupt(`size ${buf.length} does not match header (expected ${end + 4})`);
    if (crc32(buf.subarray(0, end)) !== buf.readUInt32LE(end)) throw corrupt('checksum mismatch');

    const index = new ExactVectorIndex({ dimensions, metric, initialCapacity: n });
    // Copy out of the (possibly pooled, unaligned) Buffer before viewing as typed arrays.
    const keys = new Float64Array(buf.buffer.slice(buf.byteOffset + HEADER_BYTES, buf.byteOffset + HEADER_BYTES + keyBytes));
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + HEADER_BYTES + keyBytes, buf.byteOffset + end));
    index.data.set(data);
    index.keys.set(keys);
    for (let slot = 0; slot < n; slot++) {
      const key = keys[slot]!;
      assertKeyOr(key, corrupt);
      if (index.slotOf.has(key)) throw corrupt(`duplicate key ${key}`);
      index.slotOf.set(key, slot);
    }
    index.count = n;
    return index;
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.keys.length) return;
    const cap = Math.max(rows, this.keys.length * 2);
    const data = new Float32Array(cap * this.dimensions);
    data.set(this.data.subarray(0, this.count * this.dimensions));
    const keys = new Float64Array(cap);
    keys.set(this.keys.subarray(0, this.count));
    this.data = data;
    this.keys = keys;
  }
}

function assertKeyOr(key: number, corrupt: (why: string) => AppError): void {
  try {
    assertKey(key);
  } catch {
    throw corrupt(`invalid key ${key}`);
  }
}
