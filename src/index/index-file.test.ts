import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExtractorIdentity } from '../features/feature-extractor.js';
import { createVectorIndex, VECTOR_INDEX_KINDS, type VectorIndexKind } from './create-index.js';
import { clusteredVectors } from './clustered-vectors.js';
import { INDEX_META_FILE, indexDataFile, openIndex, readIndexMeta, saveIndex, writeIndexMeta } from './index-file.js';

const extractor: ExtractorIdentity = { name: 'colour-hist', version: '1.0.0', dimensions: 16, metric: 'cosine', preprocessing: 'rgb 64x64' };

describe('index files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoplens-index-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const build = (kind: VectorIndexKind) => {
    const ix = createVectorIndex(kind, { dimensions: 16, metric: 'cosine' });
    ix.upsert([10, 20, 30], clusteredVectors(3, 16, 1));
    return ix;
  };

  for (const kind of VECTOR_INDEX_KINDS) {
    it(`round-trips a ${kind} index with its meta`, async () => {
      const ix = build(kind);
      const meta = await saveIndex(dir, ix, { extractor, storeVersion: 7 });
      expect(meta).toMatchObject({ kind, dimensions: 16, metric: 'cosine', extractor, storeVersion: 7, count: 3, file: indexDataFile(kind) });
      expect(await readIndexMeta(join(dir, INDEX_META_FILE))).toEqual(meta);
      const opened = await openIndex(dir, { extractor, storeVersion: 7, kind });
      expect(opened.index).not.toBeNull();
      expect(opened.index!.kind).toBe(kind);
      const q = clusteredVectors(3, 16, 1)[1]!;
      expect(opened.index!.search(q, 3)).toEqual(ix.search(q, 3));
    });
  }

  it('a switch of kind leaves only the new data file, and a data file of another usearch kind is corrupt', async () => {
    await saveIndex(dir, build('hnsw'), { extractor, storeVersion: 1 });
    await saveIndex(dir, build('usearch-i8'), { extractor, storeVersion: 1 });
    expect((await readdir(dir)).sort()).toEqual([INDEX_META_FILE, indexDataFile('usearch-i8')].sort());
    expect(await openIndex(dir, { extractor, storeVersion: 1, kind: 'hnsw' })).toMatchObject({ index: null, reason: 'kind-mismatch' });
    // An i8 file under the f16 name (copied by hand, say) must not be read as f16.
    await saveIndex(dir, build('usearch-f16'), { extractor, storeVersion: 1 });
    const i8 = build('usearch-i8');
    await i8.save(join(dir, 'i8.bin'));
    await copyFile(join(dir, 'i8.bin'), join(dir, indexDataFile('usearch-f16')));
    expect(await openIndex(dir, { extractor, storeVersion: 1, kind: 'usearch-f16' })).toMatchObject({ index: null, reason: 'corrupt' });
  });

  it('reports why a stored index cannot be used', async () => {
    expect(await openIndex(dir, { extractor, storeVersion: 1 })).toMatchObject({ index: null, reason: 'missing' });
    await saveIndex(dir, build('hnsw'), { extractor, storeVersion: 3 });
    expect(await openIndex(dir, { extractor: { ...extractor, version: '1.0.1' }, storeVersion: 3 })).toMatchObject({
      index: null,
      reason: 'extractor-mismatch',
    });
    expect(await openIndex(dir, { extractor: { ...extractor, preprocessing: 'rgb 32x32' }, storeVersion: 3 })).toMatchObject({
      reason: 'extractor-mismatch',
    });
    expect(await openIndex(dir, { extractor, storeVersion: 4 })).toMatchObject({ index: null, reason: 'store-version-mismatch' });
    expect(await openIndex(dir, { extractor, storeVersion: 3, kind: 'exact' })).toMatchObject({ index: null, reason: 'kind-mismatch' });
    expect((await openIndex(dir, { extractor, storeVersion: 3 })).index?.size()).toBe(3);
  });

  it('returns corrupt (never throws) for damaged meta or data, and missing for a lost data file', async () => {
    await saveIndex(dir, build('exact'), { extractor, storeVersion: 1 });
    const metaPath = join(dir, INDEX_META_FILE);
    const dataPath = join(dir, indexDataFile('exact'));
    const goodMeta = await readFile(metaPath, 'utf8');
    const goodData = await readFile(dataPath);

    await writeFile(dataPath, goodData.subarray(0, 40));
    expect(await openIndex(dir, { extractor, storeVersion: 1 })).toMatchObject({ index: null, reason: 'corrupt' });
    await rm(dataPath);
    expect(await openIndex(dir, { extractor, storeVersion: 1 })).toMatchObject({ index: null, reason: 'missing' });
    await writeFile(dataPath, goodData);

    await writeFile(metaPath, '{ "kind": "exact", ');
    expect(await openIndex(dir, { extractor, storeVersion: 1 })).toMatchObject({ index: null, reason: 'corrupt' });
    await writeFile(metaPath, JSON.stringify({ ...JSON.parse(goodMeta), file: '../../etc/passwd' }));
    expect(await openIndex(dir, { extractor, storeVersion: 1 })).toMatchObject({ index: null, reason: 'corrupt' });
    // Meta and data from different saves (crash between the two writes): the count gives it away.
    await writeFile(metaPath, JSON.stringify({ ...JSON.parse(goodMeta), count: 4 }));
    expect(await openIndex(dir, { extractor, storeVersion: 1 })).toMatchObject({ index: null, reason: 'corrupt' });
    await writeFile(metaPath, goodMeta);
    expect((await openIndex(dir, { extractor, storeVersion: 1 })).index?.size()).toBe(3);
  });

  it('readIndexMeta: null when missing, INDEX_CORRUPT when invalid; writeIndexMeta validates', async () => {
    const path = join(dir, 'm.json');
    expect(await readIndexMeta(path)).toBeNull();
    await writeFile(path, JSON.stringify({ kind: 'exact' }));
    await expect(readIndexMeta(path)).rejects.toMatchObject({ code: 'INDEX_CORRUPT' });
    const meta = { format: 1, kind: 'exact' as const, dimensions: 16, metric: 'cosine' as const, extractor, storeVersion: 0, count: 0, file: 'index.exact.bin', savedAt: 'now' };
    await writeIndexMeta(path, meta);
    expect(await readIndexMeta(path)).toEqual(meta);
    await expect(writeIndexMeta(path, { ...meta, count: -1 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });

  it('refuses to save vectors under an extractor of another shape', async () => {
    await expect(saveIndex(dir, build('exact'), { extractor: { ...extractor, dimensions: 32 }, storeVersion: 1 })).rejects.toMatchObject({
      code: 'EXTRACTOR_MISMATCH',
    });
  });
});
