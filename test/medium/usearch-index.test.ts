import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { RerankedVectorIndex } from '../../src/index/reranked.vector-index.js';
import { UsearchVectorIndex } from '../../src/index/usearch/usearch.vector-index.js';
import { openShoplens, type Shoplens } from '../../src/main.js';
import { makeCatalog } from '../catalogs/make-catalog.js';
import { tempDir } from './shoplens.factory.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Row { id: string; category: string; image: string }

async function readRows(catalogPath: string): Promise<Row[]> {
  const lines = (await readFile(catalogPath, 'utf8')).trimEnd().split('\n').slice(1);
  return lines.map((line) => {
    const [id, , , category, , , images] = line.split(',');
    return { id: id!, category: category!, image: path.join(path.dirname(catalogPath), images!.split('|')[0]!) };
  });
}

/** How many catalog images find their own product first; every top hit must score ≈ 1. */
async function ownProductFirst(s: Shoplens, rows: Row[]): Promise<number> {
  let first = 0;
  for (const row of rows) {
    const r = await s.search.searchByImage(await readFile(row.image), { k: 3 });
    if (r.hits[0]?.product.id === row.id) first++;
    expect(r.hits[0]!.score).toBeGreaterThan(0.99);
  }
  return first;
}

describe('SHOPLENS_INDEX=usearch-i8', () => {
  it('ingests, searches (re-ranked with the store’s vectors, with filters), survives a restart, and a switch of kind rebuilds', async () => {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = loadConfig({ dataDir: path.join(dir, 'data') }, { SHOPLENS_INDEX: 'usearch-i8' });
    expect(config.indexKind).toBe('usearch-i8');
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 24, broken: 0, seed: 17 });
    const rows = await readRows(cat.catalogPath);

    let s = await openShoplens(config);
    try {
      await s.ingest.ingest(cat.catalogPath);
      const index = s.indexSync.index;
      expect(index.kind).toBe('usearch-i8');
      expect(index).toBeInstanceOf(RerankedVectorIndex);
      expect((index as RerankedVectorIndex).inner).toBeInstanceOf(UsearchVectorIndex);
      expect(index.size()).toBe((await s.store.stats()).images);
      expect(await ownProductFirst(s, rows)).toBe(rows.length);

      const target = rows[0]!;
      const r = await s.search.searchByImage(await readFile(target.image), { k: 24, filter: { category: [target.category] } });
      const inCategory = rows.filter((x) => x.category === target.category).length;
      expect(r.hits).toHaveLength(inCategory);
      expect(r.hits.every((h) => h.product.category === target.category)).toBe(true);
    } finally {
      await s.close();
    }

    // Restart: the saved i8 index is loaded as it is (no rebuild) and wrapped for re-ranking again,
    // with SHOPLENS_RERANK_CANDIDATES as the fewest candidates re-ranked.
    const rebuilds: string[] = [];
    s = await openShoplens({ ...config, rerankCandidates: 120 }, { events: { onRebuild: (e) => rebuilds.push(e.reason) } });
    try {
      expect(rebuilds).toEqual([]);
      expect(s.indexSync.index).toBeInstanceOf(RerankedVectorIndex);
      expect((s.indexSync.index as RerankedVectorIndex).options.minCandidates).toBe(120);
      expect(await ownProductFirst(s, rows)).toBe(rows.length);
    } finally {
      await s.close();
    }
    expect(await readdir(path.join(config.dataDir, 'index'))).toContain('index.usearch-i8.bin');

    // To another kind: the i8 file is not misread as hnsw; the index is rebuilt from the store.
    const hnsw = loadConfig({ dataDir: config.dataDir, indexKind: 'hnsw' }, {});
    s = await openShoplens(hnsw, { events: { onRebuild: (e) => rebuilds.push(e.reason) } });
    try {
      expect(rebuilds).toHaveLength(1);
      expect(rebuilds[0]).toMatch(/kind-mismatch/);
      expect(s.indexSync.index.kind).toBe('hnsw');
      expect(await ownProductFirst(s, rows)).toBe(rows.length);
    } finally {
      await s.close();
    }
    expect((await readdir(path.join(config.dataDir, 'index'))).sort()).toEqual(['index.hnsw.bin', 'index.meta.json']);
  });

  it('rejects an unknown SHOPLENS_INDEX and a bad SHOPLENS_RERANK_CANDIDATES with INVALID_CONFIG', () => {
    expect(() => loadConfig({}, { SHOPLENS_INDEX: 'usearch-i4' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    for (const bad of ['0', '-5', '2.5', 'many']) {
      expect(() => loadConfig({}, { SHOPLENS_RERANK_CANDIDATES: bad }), bad).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
    expect(loadConfig({}, { SHOPLENS_RERANK_CANDIDATES: '400' }).rerankCandidates).toBe(400);
  });
});
