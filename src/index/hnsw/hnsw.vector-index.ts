import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import hnswlib from 'hnswlib-node';
import { AppError } from '../../domain/errors.js';
import { l2normalize, type Metric } from '../../domain/vector.js';
import type { Neighbor, VectorIndex, VectorIndexOptions } from '../vector-index.js';
import { writeAtomically } from '../atomic-file.js';
import { assertIndexOptions, assertK, assertUpsertBatch, assertVector, TopK } from '../vector-checks.js';

/**
 * HNSW graph parameters. Defaults come from bench/ann-pick: on easy, low-intrinsic-dimension data
 * (Fashion-MNIST 60k × 784) M=16/ef=64 already gives recall@10 ≈ 0.99, but on isotropic clustered
 * 128-d vectors (bench/ann-pick/hnsw-defaults.ts, the contract suite's data) ef=64 stays near
 * 0.87–0.92 and only ef=128 clears 0.95; M=32 buys recall at the same ef for a faster build than
 * raising efConstruction to 200. Hence M=32, efConstruction=128, efSearch=128.
 */
export interface HnswOptions {
  /** Graph degree (hnswlib `M`): more = better recall and more memory. */
  M: number;
  /** Candidate list size while inserting: more = better graph, slower build. */
  efConstruction: number;
  /** Candidate list size while searching (raised to k when k is larger). */
  efSearch: number;
  /** Slots allocated up front; the index doubles its capacity when it runs out. */
  initialCapacity: number;
  /** Seed for level assignment, so builds are reproducible. */
  randomSeed: number;
}

export const DEFAULT_HNSW_OPTIONS: Readonly<HnswOptions> = Object.freeze({
  M: 32,
  efConstruction: 128,
  efSearch: 128,
  initialCapacity: 1024,
  randomSeed: 100,
});

export interface HnswVectorIndexOptions extends VectorIndexOptions {
  hnsw?: Partial<HnswOptions>;
}

/** Options that may change when an index file is reopened (the graph shape is fixed by the file). */
export type HnswOpenOptions = Partial<Pick<HnswOptions, 'efSearch'>>;

/*
 * File format (little-endian), one file so that save() can be a single atomic rename:
 *   0  magic "SLHNSW\0\0" (8 bytes)
 *   8  u32 format version (1)
 *  12  u32 dimensions
 *  16  u32 metric (0 = cosine, 1 = euclidean)
 *  20  u32 M
 *  24  u32 efConstruction
 *  28  u32 CRC-32 of the label table
 *  32  f64 label count L
 *  40  f64 live key count
 *  48  f64 hnswlib blob byte length B
 *  56  u32 CRC-32 of the blob
 *  60  u32 reserved (0)
 *  64  f64[L] key of each hnswlib label (-1 = removed)
 *   …  B bytes: hnswlib's own writeIndex() output
 * The checksums matter: hnswlib's loader trusts sizes read from its file, and a torn or
 * truncated file must surface as INDEX_CORRUPT (rebuild), not as a native crash.
 */
const MAGIC = Buffer.from('SLHNSW\0\0', 'latin1');
const FORMAT_VERSION = 1;
const HEADER_BYTES = 64;
const METRIC_CODES: Record<Metric, number> = { cosine: 0, euclidean: 1 };
const MAX_LABEL = 2 ** 32 - 1;

/**
 * Approximate index on hnswlib-node (chosen over usearch in bench/ann-pick: it has an in-graph
 * filter callback, in-place updates, a runtime efSearch setter and read-back of stored vectors).
 *
 * Keys vs labels: the binding reads labels as uint32, but keys are SQLite rowids up to 2^53.
 * So every key gets an internal label from a counter, and labels are never reused: hnswlib's
 * replace-deleted mode recycles the *slot* of a removed vector for a new one (memory stays
 * bounded under churn) but erases the old label only at that moment, so reusing a label early
 * could let a later slot recycle erase a live mapping.
 *
 * Filtered search: hnswlib applies the filter inside the graph walk; when few keys pass, the
 * walk keeps expanding until it has k passing results or has visited the whole reachable graph.
 * If it still returns fewer than k (a graph region disconnected by removals), search() counts the
 * keys that pass and, if more exist than were returned, scans exactly those keys (vectors read
 * back with getPoint). So a search returns min(k, passing keys) results, always.
 */
export class HnswVectorIndex implements VectorIndex {
  readonly kind = 'hnsw';
  readonly dimensions: number;
  readonly metric: Metric;
  readonly options: Readonly<HnswOptions>;

  private readonly native: hnswlib.HierarchicalNSW;
  private readonly labelOf = new Map<number, number>();
  /** labelToKey[label] = key, or -1 once removed. */
  private labelToKey: number[] = [];
  private capacity: number;

  private constructor(
    dimensions: number,
    metric: Metric,
    options: HnswOptions,
    native: hnswlib.HierarchicalNSW,
    capacity: number,
  ) {
    this.dimensions = dimensions;
    this.metric = metric;
    this.options = Object.freeze({ ...options });
    this.native = native;
    this.capacity = capacity;
    native.setEf(options.efSearch);
  }

  /** A new, empty index. */
  static create(options: HnswVectorIndexOptions): HnswVectorIndex {
    assertIndexOptions(options.dimensions, options.metric);
    const opts = resolveOptions(options.hnsw);
    const native = new hnswlib.HierarchicalNSW(spaceName(options.metric), options.dimensions);
    native.initIndex({
      maxElements: opts.initialCapacity,
      m: opts.M,
      efConstruction: opts.efConstruction,
      randomSeed: opts.randomSeed,
      allowReplaceDeleted: true,
    });
    return new HnswVectorIndex(options.dimensions, options.metric, opts, native, opts.initialCapacity);
  }

  /** Reads a file written by save(); AppError INDEX_CORRUPT when it is not a valid index file. */
  static async open(path: string, options: HnswOpenOptions = {}): Promise<HnswVectorIndex> {
    const corrupt = (why: string, cause?: unknown): AppError =>
      new AppError('INDEX_CORRUPT', `${path}: ${why}`, { details: { path, kind: 'hnsw' }, cause });
    const fh = await open(path, 'r');
    let tmpDir: string | undefined;
    try {
      const { size } = await fh.stat();
      const head = await readExactly(fh, 0, HEADER_BYTES);
      if (head === null || !head.subarray(0, 8).equals(MAGIC)) throw corrupt('not an HNSW index file');
      const version = head.readUInt32LE(8);
      if (version !== FORMAT_VERSION) throw corrupt(`unsupported format version ${version}`);
      const dimensions = head.readUInt32LE(12);
      const metric = (Object.keys(METRIC_CODES) as Metric[]).find((m) => METRIC_CODES[m] === head.readUInt32LE(16));
      const M = head.readUInt32LE(20);
      const efConstruction = head.readUInt32LE(24);
      const labelCrc = head.readUInt32LE(28);
      const labelCount = head.readDoubleLE(32);
      const liveCount = head.readDoubleLE(40);
      const blobBytes = head.readDoubleLE(48);
      const blobCrc = head.readUInt32LE(56);
      if (
        metric === undefined || dimensions === 0 ||
        ![labelCount, liveCount, blobBytes].every((x) => Number.isSafeInteger(x) && x >= 0) ||
        labelCount > MAX_LABEL + 1 || liveCount > labelCount
      ) {
        throw corrupt('bad header');
      }
      const blobStart = HEADER_BYTES + labelCount * 8;
      if (size !== blobStart + blobBytes) throw corrupt(`size ${size} does not match header (expected ${blobStart + blobBytes})`);

      const labelBuf = await readExactly(fh, HEADER_BYTES, labelCount * 8);
      if (labelBuf === null || crc32(labelBuf) !== labelCrc) throw corrupt('label table checksum mismatch');
      const labelToKey = Array.from(new Float64Array(labelBuf.buffer.slice(labelBuf.byteOffset, labelBuf.byteOffset + labelBuf.length)));
      const labelOf = new Map<number, number>();
      labelToKey.forEach((key, label) => {
        if (key === -1) return;
        if (!Number.isSafeInteger(key) || key < 0 || labelOf.has(key)) throw corrupt(`bad key ${key} at label ${label}`);
        labelOf.set(key, label);
      });
      if (labelOf.size !== liveCount) throw corrupt(`label table holds ${labelOf.size} keys, header says ${liveCount}`);

      // hnswlib can only read from a path: copy the blob out, checking its CRC on the way.
      tmpDir = await mkdtemp(join(tmpdir(), 'shoplens-hnsw-'));
      const blobPath = join(tmpDir, 'graph.bin');
      const out = await open(blobPath, 'w');
      let crc = 0;
      try {
        if (blobBytes > 0) {
          for await (const chunk of createReadStream(path, { start: blobStart, end: blobStart + blobBytes - 1 })) {
            crc = crc32(chunk as Buffer, crc);
            await out.write(chunk as Buffer);
          }
        }
      } finally {
        await out.close();
      }
      if (crc !== blobCrc) throw corrupt('graph checksum mismatch');

      const native = new hnswlib.HierarchicalNSW(spaceName(metric), dimensions);
      try {
        native.readIndexSync(blobPath, true);
      } catch (err) {
        throw corrupt('hnswlib could not read the graph', err);
      }
      if (native.getNumDimensions() !== dimensions) throw corrupt('graph dimensions differ from header');
      const opts = resolveOptions({ M, efConstruction, efSearch: options.efSearch });
      const index = new HnswVectorIndex(dimensions, metric, opts, native, native.getMaxElements());
      index.labelToKey = labelToKey;
      labelOf.forEach((label, key) => index.labelOf.set(key, label));
      return index;
    } finally {
      await fh.close();
      if (tmpDir !== undefined) await rm(tmpDir, { recursive: true, force: true });
    }
  }

  upsert(keys: readonly number[], vectors: readonly Float32Array[]): void {
    assertUpsertBatch(keys, vectors, this.dimensions);
    const fresh = new Set<number>();
    for (const key of keys) if (!this.labelOf.has(key)) fresh.add(key);
    this.ensureCapacity(this.labelOf.size + fresh.size);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const point = Array.from(vectors[i]!); // the binding takes plain arrays only
      const label = this.labelOf.get(key);
      if (label !== undefined) {
        this.native.addPoint(point, label); // existing label: hnswlib updates it in place
        continue;
      }
      const next = this.labelToKey.length;
      if (next > MAX_LABEL) {
        throw new AppError('INTERNAL_ERROR', 'HNSW label space exhausted; rebuild the index from the store');
      }
      this.native.addPoint(point, next, true); // true: reuse the slot of a removed vector if any
      this.labelToKey.push(key);
      this.labelOf.set(key, next);
    }
  }

  remove(keys: readonly number[]): void {
    for (const key of keys) {
      const label = this.labelOf.get(key);
      if (label === undefined) continue;
      this.native.markDelete(label);
      this.labelOf.delete(key);
      this.labelToKey[label] = -1;
    }
  }

  has(key: number): boolean {
    return this.labelOf.has(key);
  }

  size(): number {
    return this.labelOf.size;
  }

  search(query: Float32Array, k: number, filter?: (key: number) => boolean): Neighbor[] {
    assertVector(query, this.dimensions, 'query');
    assertK(k);
    const wanted = Math.min(k, this.labelOf.size);
    if (wanted === 0) return [];
    const labelToKey = this.labelToKey;
    const labelFilter =
      filter === undefined
        ? undefined
        : (label: number): boolean => {
            const key = labelToKey[label];
            return key !== undefined && key >= 0 && filter(key);
          };
    const res = this.native.searchKnn(Array.from(query), wanted, labelFilter);
    const out: Neighbor[] = [];
    for (let i = 0; i < res.neighbors.length; i++) {
      const key = labelToKey[res.neighbors[i]!];
      if (key === undefined || key < 0) continue;
      out.push({ key, distance: this.toPortDistance(res.distances[i]!) });
    }
    if (out.length < wanted) return this.exactFallback(query, wanted, filter, out);
    return out.sort((a, b) => a.distance - b.distance || a.key - b.key);
  }

  async save(path: string): Promise<void> {
    const tmpDir = await mkdtemp(join(tmpdir(), 'shoplens-hnsw-'));
    try {
      // Snapshot synchronously (graph to a temp file, label table to memory) so that calls made
      // while the copy below is awaited cannot tear the saved state.
      const blobPath = join(tmpDir, 'graph.bin');
      this.native.writeIndexSync(blobPath);
      const labels = Buffer.from(Float64Array.from(this.labelToKey).buffer);
      const live = this.labelOf.size;
      await writeAtomically(path, async (tmp) => {
        const fh = await open(tmp, 'w');
        try {
          let crc = 0, blobBytes = 0;
          let pos = HEADER_BYTES + labels.length;
          await fh.write(labels, 0, labels.length, HEADER_BYTES);
          for await (const chunk of createReadStream(blobPath)) {
            const b = chunk as Buffer;
            crc = crc32(b, crc);
            blobBytes += b.length;
            await fh.write(b, 0, b.length, pos);
            pos += b.length;
          }
          const head = Buffer.alloc(HEADER_BYTES);
          MAGIC.copy(head, 0);
          head.writeUInt32LE(FORMAT_VERSION, 8);
          head.writeUInt32LE(this.dimensions, 12);
          head.writeUInt32LE(METRIC_CODES[this.metric], 16);
          head.writeUInt32LE(this.options.M, 20);
          head.writeUInt32LE(this.options.efConstruction, 24);
          head.writeUInt32LE(crc32(labels), 28);
          head.writeDoubleLE(labels.length / 8, 32);
          head.writeDoubleLE(live, 40);
          head.writeDoubleLE(blobBytes, 48);
          head.writeUInt32LE(crc, 56);
          await fh.write(head, 0, HEADER_BYTES, 0);
        } finally {
          await fh.close();
        }
      });
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
  }

  /** hnswlib's 'l2' space returns squared L2; the port promises plain L2. */
  private toPortDistance(d: number): number {
    return this.metric === 'euclidean' ? Math.sqrt(Math.max(0, d)) : d;
  }

  /**
   * Exact scan over the keys that pass `filter`, used only when the graph walk came back short.
   * `found` is what the walk returned; when no other key passes, it is already the answer.
   */
  private exactFallback(
    query: Float32Array,
    wanted: number,
    filter: ((key: number) => boolean) | undefined,
    found: Neighbor[],
  ): Neighbor[] {
    const passing: [number, number][] = [];
    for (const [key, label] of this.labelOf) if (filter === undefined || filter(key)) passing.push([key, label]);
    if (passing.length <= found.length) return found.sort((a, b) => a.distance - b.distance || a.key - b.key);
    const q = this.metric === 'cosine' ? l2normalize(Float32Array.from(query)) : query;
    const top = new TopK(wanted);
    for (const [key, label] of passing) {
      // getPoint returns the stored (for cosine: normalised) vector.
      const p = this.native.getPoint(label);
      let s = 0;
      if (this.metric === 'cosine') {
        for (let i = 0; i < p.length; i++) s += q[i]! * p[i]!;
        top.push(1 - s, key);
      } else {
        for (let i = 0; i < p.length; i++) { const t = q[i]! - p[i]!; s += t * t; }
        top.push(Math.sqrt(s), key);
      }
    }
    return top.result();
  }

  private ensureCapacity(liveAfter: number): void {
    // Slots in use never exceed max(current slots, live keys) thanks to slot reuse.
    if (liveAfter <= this.capacity) return;
    const next = Math.max(liveAfter, this.capacity * 2);
    this.native.resizeIndex(next);
    this.capacity = next;
  }
}

function spaceName(metric: Metric): 'cosine' | 'l2' {
  return metric === 'cosine' ? 'cosine' : 'l2';
}

function resolveOptions(partial: Partial<HnswOptions> | undefined): HnswOptions {
  const o: HnswOptions = { ...DEFAULT_HNSW_OPTIONS };
  for (const [name, value] of Object.entries(partial ?? {}) as [keyof HnswOptions, number | undefined][]) {
    if (value !== undefined) o[name] = value;
  }
  const positive: (keyof HnswOptions)[] = ['M', 'efConstruction', 'efSearch', 'initialCapacity'];
  for (const name of positive) {
    if (!Number.isInteger(o[name]) || o[name] <= 0 || o[name] > MAX_LABEL) {
      throw new AppError('INVALID_PARAMETER', `HNSW option ${name} must be a positive integer, got ${o[name]}`, {
        details: { [name]: o[name] },
      });
    }
  }
  if (o.M < 2) throw new AppError('INVALID_PARAMETER', `HNSW option M must be at least 2, got ${o.M}`);
  return o;
}

async function readExactly(fh: FileHandle, position: number, length: number): Promise<Buffer | null> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) return null;
    done += bytesRead;
  }
  return buf;
}
