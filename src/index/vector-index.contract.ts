/**
 * The one contract every VectorIndex implementation must meet (DESIGN.md §3). Each
 * implementation's test file calls describeVectorIndexContract with a factory; a case may be
 * skipped only through `skip`, with the reason written next to it.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import { cosineSimilarity, euclideanDistance, type Metric } from '../domain/vector.js';
import type { Neighbor, VectorIndex } from './vector-index.js';
import { clusteredVectors } from './clustered-vectors.js';

export { clusteredVectors };

export interface ContractFactory {
  create(options: { dimensions: number; metric: Metric; initialCapacity?: number }): VectorIndex;
  load(path: string): Promise<VectorIndex>;
  /** True for approximate indexes: recall is measured rather than assumed to be 1. */
  approximate: boolean;
  /**
   * Largest absolute error allowed between a returned distance and the exact float64 formula.
   * Default 5e-5 (float32 arithmetic); quantised indexes state their own, with the reason.
   */
  distanceTolerance?: number;
}

export type ContractCase =
  | 'recall'
  /** Every case that builds a euclidean index (the capacity case then runs on cosine). */
  | 'euclidean';

export interface ContractOptions {
  /** Cases this implementation skips, each with the reason (printed in the test name). */
  skip?: Partial<Record<ContractCase, string>>;
}

// ------------------------------------------------------------------ deterministic data

function bruteForce(metric: Metric, data: Float32Array[], q: Float32Array, k: number, pass: (key: number) => boolean = () => true): Neighbor[] {
  const all: Neighbor[] = [];
  data.forEach((v, key) => {
    if (!pass(key)) return;
    all.push({ key, distance: metric === 'cosine' ? 1 - cosineSimilarity(q, v) : euclideanDistance(q, v) });
  });
  return all.sort((a, b) => a.distance - b.distance || a.key - b.key).slice(0, k);
}

const keysOf = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

function expectSorted(res: Neighbor[]): void {
  for (let i = 1; i < res.length; i++) expect(res[i]!.distance).toBeGreaterThanOrEqual(res[i - 1]!.distance);
}

function expectAppError(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe(code);
}

// ------------------------------------------------------------------ the suite

export function describeVectorIndexContract(name: string, factory: ContractFactory, options: ContractOptions = {}): void {
  const skipped = (c: ContractCase): string | undefined => options.skip?.[c];
  const tolerance = factory.distanceTolerance ?? 5e-5;
  const expectDistance = (got: number, want: number): void => expect(Math.abs(got - want)).toBeLessThanOrEqual(tolerance);
  const euclideanReason = skipped('euclidean');
  const metrics = euclideanReason === undefined ? (['cosine', 'euclidean'] as const) : (['cosine'] as const);

  describe(`VectorIndex contract: ${name}`, () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'shoplens-index-contract-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    if (euclideanReason !== undefined) it.skip(`euclidean cases (skipped: ${euclideanReason})`, () => undefined);

    for (const metric of metrics) {
      describe(`${metric}`, () => {
        it('reports its shape and starts empty; searching an empty index returns []', () => {
          const ix = factory.create({ dimensions: 8, metric });
          expect(ix.kind).toBe(name);
          expect(ix.dimensions).toBe(8);
          expect(ix.metric).toBe(metric);
          expect(ix.size()).toBe(0);
          expect(ix.has(0)).toBe(false);
          expect(ix.search(new Float32Array(8).fill(1), 10)).toEqual([]);
          expect(ix.search(new Float32Array(8).fill(1), 10, () => true)).toEqual([]);
        });

        it('returns every key, nearest first, when k exceeds the size; k = 0 returns []', () => {
          const data = clusteredVectors(7, 16, 1);
          const ix = factory.create({ dimensions: 16, metric });
          ix.upsert(keysOf(7), data);
          const res = ix.search(data[3]!, 50);
          expect(res).toHaveLength(7);
          expect(new Set(res.map((r) => r.key))).toEqual(new Set(keysOf(7)));
          expectSorted(res);
          expect(ix.search(data[3]!, 0)).toEqual([]);
        });

        it('finds an inserted vector as its own nearest neighbour at distance ≈ 0', () => {
          const data = clusteredVectors(1000, 32, 2);
          const ix = factory.create({ dimensions: 32, metric });
          ix.upsert(keysOf(1000, 100), data);
          for (let i = 0; i < 1000; i += 37) {
            const [first] = ix.search(data[i]!, 5);
            expect(first!.key).toBe(100 + i);
            expect(first!.distance).toBeCloseTo(0, 4);
          }
        });

        it('returns distances equal to the exact formula (cosine: 1 - cos, euclidean: plain L2)', () => {
          const data = clusteredVectors(300, 24, 3).map((v, i) => v.map((x) => x * (1 + (i % 5)))); // not unit length
          const ix = factory.create({ dimensions: 24, metric });
          ix.upsert(keysOf(300), data);
          const q = clusteredVectors(1, 24, 99)[0]!;
          const res = ix.search(q, 20);
          expect(res).toHaveLength(20);
          for (const r of res) {
            const want = metric === 'cosine' ? 1 - cosineSimilarity(q, data[r.key]!) : euclideanDistance(q, data[r.key]!);
            expectDistance(r.distance, want);
          }
          expectSorted(res);
        });

        it('does not modify the caller’s vectors', () => {
          const v = Float32Array.from([3, 4, 0, 0]);
          const ix = factory.create({ dimensions: 4, metric });
          ix.upsert([1], [v]);
          ix.search(v, 1);
          expect(Array.from(v)).toEqual([3, 4, 0, 0]);
        });

        it('replaces the vector of a key that is upserted again', () => {
          const [a, b, ...rest] = clusteredVectors(200, 16, 4, 50, 0.5);
          const ix = factory.create({ dimensions: 16, metric });
          ix.upsert(keysOf(198, 10), rest);
          ix.upsert([1], [a!]);
          ix.upsert([1], [b!]);
          expect(ix.size()).toBe(199);
          const [hit] = ix.search(b!, 1);
          expect(hit!.key).toBe(1);
          expect(hit!.distance).toBeCloseTo(0, 4);
          const fromA = ix.search(a!, 199).find((r) => r.key === 1)!;
          const wantA = metric === 'cosine' ? 1 - cosineSimilarity(a!, b!) : euclideanDistance(a!, b!);
          expectDistance(fromA.distance, wantA);
          // A batch naming the same key twice keeps the last vector.
          ix.upsert([2, 2], [a!, b!]);
          expect(ix.search(b!, 2).map((r) => r.key).sort()).toEqual([1, 2]);
        });

        it('excludes removed keys, ignores unknown ones, and accepts a removed key again', () => {
          const data = clusteredVectors(500, 16, 5);
          const ix = factory.create({ dimensions: 16, metric });
          ix.upsert(keysOf(500), data);
          const removed = keysOf(250).map((i) => i * 2);
          ix.remove([...removed, 10_000, 123_456]);
          expect(ix.size()).toBe(250);
          expect(ix.has(4)).toBe(false);
          expect(ix.has(5)).toBe(true);
          for (let i = 0; i < 500; i += 25) {
            const res = ix.search(data[i]!, 20);
            expect(res).toHaveLength(20);
            expect(res.every((r) => r.key % 2 === 1)).toBe(true);
          }
          ix.upsert([4], [data[4]!]);
          expect(ix.has(4)).toBe(true);
          expect(ix.search(data[4]!, 1)[0]!.key).toBe(4);
          ix.remove(keysOf(500));
          expect(ix.size()).toBe(0);
          expect(ix.search(data[0]!, 5)).toEqual([]);
        });

        it('accepts keys up to 2^53 - 1', () => {
          const data = clusteredVectors(3, 8, 6);
          const keys = [Number.MAX_SAFE_INTEGER, 2 ** 40 + 7, 2 ** 32];
          const ix = factory.create({ dimensions: 8, metric });
          ix.upsert(keys, data);
          keys.forEach((k, i) => {
            expect(ix.has(k)).toBe(true);
            expect(ix.search(data[i]!, 1)[0]!.key).toBe(k);
          });
        });
      });
    }

    describe('filtered search', () => {
      const n = 5000;
      const data = clusteredVectors(n, 32, 7);
      const queries = clusteredVectors(20, 32, 8);
      let ix: VectorIndex;
      beforeEach(() => {
        ix = factory.create({ dimensions: 32, metric: 'cosine' });
        ix.upsert(keysOf(n), data);
      });

      it('returns only passing keys, k of them when enough pass', () => {
        for (const q of queries) {
          const res = ix.search(q, 10, (key) => key % 7 === 0);
          expect(res).toHaveLength(10);
          expect(res.every((r) => r.key % 7 === 0)).toBe(true);
          expectSorted(res);
        }
      });

      it('handles a very selective filter (3 of 5,000 pass): exactly those 3, nearest first', () => {
        const pass = new Set([17, 2500, 4999]);
        for (const q of queries) {
          const res = ix.search(q, 10, (key) => pass.has(key));
          expect(res.map((r) => r.key)).toEqual(bruteForce('cosine', data, q, 10, (k) => pass.has(k)).map((r) => r.key));
        }
      });

      it('returns k when a selective filter lets more than k through (15 of 5,000)', () => {
        const pass = new Set(keysOf(15).map((i) => i * 331));
        for (const q of queries) {
          const res = ix.search(q, 10, (key) => pass.has(key));
          expect(res).toHaveLength(10);
          expect(res.every((r) => pass.has(r.key))).toBe(true);
          const truth = bruteForce('cosine', data, q, 10, (k) => pass.has(k)).map((r) => r.key);
          const overlap = res.filter((r) => truth.includes(r.key)).length;
          expect(overlap).toBeGreaterThanOrEqual(factory.approximate ? 9 : 10);
        }
      });

      it('returns [] when nothing passes, and never calls the filter with a removed key', () => {
        expect(ix.search(queries[0]!, 10, () => false)).toEqual([]);
        ix.remove(keysOf(2500));
        const seen: number[] = [];
        const res = ix.search(queries[0]!, 10, (key) => {
          seen.push(key);
          return true;
        });
        expect(res).toHaveLength(10);
        expect(seen.every((k) => k >= 2500)).toBe(true);
      });
    });

    describe('persistence', () => {
      for (const metric of metrics) {
        it(`save → load gives identical results (${metric}, after upserts and removals)`, async () => {
          const data = clusteredVectors(2000, 24, 9);
          const ix = factory.create({ dimensions: 24, metric });
          ix.upsert(keysOf(2000, 1), data);
          ix.remove(keysOf(100, 1).map((i) => i * 3));
          ix.upsert([5], [data[1000]!]);
          const path = join(dir, `idx.${metric}.bin`);
          await ix.save(path);
          const back = await factory.load(path);
          expect(back.kind).toBe(ix.kind);
          expect(back.dimensions).toBe(24);
          expect(back.metric).toBe(metric);
          expect(back.size()).toBe(ix.size());
          expect(back.has(3)).toBe(false);
          expect(back.has(4)).toBe(true);
          for (const q of clusteredVectors(20, 24, 10)) {
            expect(back.search(q, 10)).toEqual(ix.search(q, 10));
            expect(back.search(q, 5, (k) => k % 4 === 0)).toEqual(ix.search(q, 5, (k) => k % 4 === 0));
          }
          // The loaded index stays fully usable.
          back.upsert([50_000], [data[0]!]);
          expect(back.search(data[0]!, 2).map((r) => r.key).sort((a, b) => a - b)).toEqual([1, 50_000]);
        });
      }

      it('saves an empty index, overwrites an existing file, and leaves no temp files', async () => {
        const path = join(dir, 'idx.bin');
        const ix = factory.create({ dimensions: 8, metric: 'cosine' });
        await ix.save(path);
        expect((await factory.load(path)).size()).toBe(0);
        ix.upsert([1, 2], clusteredVectors(2, 8, 11));
        await ix.save(path);
        expect((await factory.load(path)).size()).toBe(2);
        expect(await readdir(dir)).toEqual(['idx.bin']);
      });

      it('rejects a truncated, bit-flipped or foreign file with INDEX_CORRUPT', async () => {
        const path = join(dir, 'idx.bin');
        const ix = factory.create({ dimensions: 16, metric: 'cosine' });
        ix.upsert(keysOf(300), clusteredVectors(300, 16, 12));
        await ix.save(path);
        const good = await readFile(path);
        const variants: [string, Buffer][] = [
          ['truncated', good.subarray(0, Math.floor(good.length * 0.6))],
          ['bit-flipped', Buffer.from(good).fill(0x5a, Math.floor(good.length / 2), Math.floor(good.length / 2) + 4)],
          ['foreign', Buffer.from('{"not":"an index"}')],
          ['empty', Buffer.alloc(0)],
        ];
        for (const [what, bytes] of variants) {
          await writeFile(path, bytes);
          await expect(factory.load(path), what).rejects.toMatchObject({ code: 'INDEX_CORRUPT' });
        }
      });
    });

    it('grows past its initial capacity (20,000 inserts into capacity 16)', () => {
      const data = clusteredVectors(20_000, 16, 13, 200, 0.2);
      const ix = factory.create({ dimensions: 16, metric: metrics[metrics.length - 1]!, initialCapacity: 16 });
      for (let from = 0; from < data.length; from += 1000) ix.upsert(keysOf(1000, from), data.slice(from, from + 1000));
      expect(ix.size()).toBe(20_000);
      for (let i = 0; i < 20_000; i += 997) {
        expect(ix.has(i)).toBe(true);
        expect(ix.search(data[i]!, 1)[0]!.distance).toBeCloseTo(0, 4);
      }
    });

    it('answers bad input with AppError INVALID_PARAMETER', () => {
      const ix = factory.create({ dimensions: 8, metric: 'cosine' });
      const ok = new Float32Array(8).fill(1);
      expectAppError(() => ix.upsert([1], [new Float32Array(7)]), 'INVALID_PARAMETER');
      expectAppError(() => ix.search(new Float32Array(9), 3), 'INVALID_PARAMETER');
      expectAppError(() => ix.upsert([1, 2], [ok]), 'INVALID_PARAMETER');
      expectAppError(() => ix.upsert([-1], [ok]), 'INVALID_PARAMETER');
      expectAppError(() => ix.upsert([1.5], [ok]), 'INVALID_PARAMETER');
      expectAppError(() => ix.upsert([2 ** 53], [ok]), 'INVALID_PARAMETER');
      expectAppError(() => ix.upsert([1], [Float32Array.from([1, 2, 3, 4, 5, 6, 7, NaN])]), 'INVALID_PARAMETER');
      expectAppError(() => ix.search(ok, -1), 'INVALID_PARAMETER');
      expectAppError(() => factory.create({ dimensions: 0, metric: 'cosine' }), 'INVALID_PARAMETER');
      // A rejected batch leaves the index untouched.
      expect(ix.size()).toBe(0);
    });

    it('gives a zero vector cosine distance 1 to everything instead of NaN', () => {
      const ix = factory.create({ dimensions: 4, metric: 'cosine' });
      ix.upsert([1, 2], [new Float32Array(4), Float32Array.from([1, 0, 0, 0])]);
      for (const r of ix.search(Float32Array.from([0, 1, 0, 0]), 2)) expect(r.distance).toBeCloseTo(1, 5);
      for (const r of ix.search(new Float32Array(4), 2)) expect(r.distance).toBeCloseTo(1, 5);
    });

    const recallReason = skipped('recall');
    (recallReason === undefined ? it : it.skip)(
      `reaches recall@10 ≥ 0.95 against brute force on 5,000 clustered 128-d vectors${recallReason ? ` (skipped: ${recallReason})` : ''}`,
      () => {
        const data = clusteredVectors(5000, 128, 14, 50, 0.6);
        const queries = clusteredVectors(100, 128, 15, 50, 0.6);
        const ix = factory.create({ dimensions: 128, metric: 'cosine' });
        ix.upsert(keysOf(5000), data);
        let hits = 0;
        for (const q of queries) {
          const truth = new Set(bruteForce('cosine', data, q, 10).map((r) => r.key));
          hits += ix.search(q, 10).filter((r) => truth.has(r.key)).length;
        }
        const recall = hits / (queries.length * 10);
        if (factory.approximate) expect(recall).toBeGreaterThanOrEqual(0.95);
        else expect(recall).toBe(1);
      },
    );
  });
}
