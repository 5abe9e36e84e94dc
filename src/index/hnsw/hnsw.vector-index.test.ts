import { describe, expect, it } from 'vitest';
import { describeVectorIndexContract } from '../vector-index.contract.js';
import { clusteredVectors } from '../clustered-vectors.js';
import { DEFAULT_HNSW_OPTIONS, HnswVectorIndex } from './hnsw.vector-index.js';

describeVectorIndexContract('hnsw', {
  create: ({ dimensions, metric, initialCapacity }) =>
    HnswVectorIndex.create({ dimensions, metric, hnsw: initialCapacity === undefined ? {} : { initialCapacity } }),
  load: (path) => HnswVectorIndex.open(path),
  approximate: true,
});

describe('HnswVectorIndex specifics', () => {
  it('uses the documented defaults and validates options', () => {
    const ix = HnswVectorIndex.create({ dimensions: 8, metric: 'cosine' });
    expect(ix.options).toEqual(DEFAULT_HNSW_OPTIONS);
    expect(() => HnswVectorIndex.create({ dimensions: 8, metric: 'cosine', hnsw: { M: 0 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER' }),
    );
  });

  it('reuses slots of removed vectors, so churn does not grow the graph', () => {
    const data = clusteredVectors(600, 16, 21);
    const ix = HnswVectorIndex.create({ dimensions: 16, metric: 'cosine', hnsw: { initialCapacity: 300 } });
    const keys = Array.from({ length: 300 }, (_, i) => i);
    ix.upsert(keys, data.slice(0, 300));
    for (let round = 1; round <= 5; round++) {
      ix.remove(keys.map((k) => k + (round - 1) * 300));
      ix.upsert(keys.map((k) => k + round * 300), data.slice(round % 2 === 0 ? 0 : 300, round % 2 === 0 ? 300 : 600));
    }
    expect(ix.size()).toBe(300);
    // Capacity never had to grow: 300 live keys fit in 300 slots throughout.
    expect((ix as unknown as { capacity: number }).capacity).toBe(300);
    // Round 5 inserted data[300..599] under keys 1500..1799.
    expect(ix.search(data[450]!, 1)[0]!.key).toBe(1650);
  });

  it('exact fallback (used when the graph walk comes back short) matches brute force', () => {
    // The graph walk rarely comes back short (only a region cut off by removals), so the
    // fallback is exercised directly: it must give the exact filtered top-k.
    const data = clusteredVectors(3000, 32, 23);
    const ix = HnswVectorIndex.create({ dimensions: 32, metric: 'euclidean' });
    ix.upsert(data.map((_, i) => i), data);
    ix.remove([0, 3, 6]);
    const q = clusteredVectors(1, 32, 24)[0]!;
    const pass = (k: number): boolean => k % 3 === 0;
    const fallback = (ix as unknown as {
      exactFallback(q: Float32Array, k: number, f: (k: number) => boolean, found: { key: number; distance: number }[]): { key: number; distance: number }[];
    }).exactFallback(q, 10, pass, []);
    const truth = data
      .map((v, key) => ({ key, distance: Math.hypot(...v.map((x, i) => x - q[i]!)) }))
      .filter((r) => pass(r.key) && r.key > 6)
      .sort((a, b) => a.distance - b.distance)
      .slice(0, 10);
    expect(fallback.map((r) => r.key)).toEqual(truth.map((r) => r.key));
    fallback.forEach((r, i) => expect(r.distance).toBeCloseTo(truth[i]!.distance, 4));
  });

  it('keeps efSearch from open() options and the graph shape from the file', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'shoplens-hnsw-'));
    try {
      const ix = HnswVectorIndex.create({ dimensions: 8, metric: 'euclidean', hnsw: { M: 24, efConstruction: 100 } });
      ix.upsert([1], clusteredVectors(1, 8, 22));
      await ix.save(join(dir, 'i.bin'));
      const back = await HnswVectorIndex.open(join(dir, 'i.bin'), { efSearch: 200 });
      expect(back.options).toMatchObject({ M: 24, efConstruction: 100, efSearch: 200 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
