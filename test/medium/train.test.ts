import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readIndexMeta, INDEX_META_FILE } from '../../src/index/index-file.js';
import { makeCatalog } from '../catalogs/make-catalog.js';
import { cli, tempDir } from './shoplens.factory.js';

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});

/** Catalog rows (id, category, first image path) of a make-catalog CSV. */
async function rowsOf(catalogPath: string): Promise<{ id: string; category: string; image: string }[]> {
  const lines = (await readFile(catalogPath, 'utf8')).trimEnd().split('\n').slice(1);
  return lines.map((l) => l.split(',')).map((c) => ({ id: c[0]!, category: c[3]!, image: path.join(path.dirname(catalogPath), c[6]!.split('|')[0]!) }));
}

describe('shoplens train', () => {
  it('trains on the catalog categories, changes the extractor identity, rebuilds the index, keeps search and ingest working; --reset goes back', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const data = path.join(dir, 'data');
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 36, broken: 0, seed: 5, imageSize: 96 });
    const rows = await rowsOf(cat.catalogPath);
    expect((await cli('ingest', cat.catalogPath, '--data', data)).code).toBe(0);
    const indexMeta = () => readIndexMeta(path.join(data, 'index', INDEX_META_FILE));
    const baseMeta = (await indexMeta())!;
    expect(baseMeta.extractor.name).not.toContain('trained');

    const queries = path.join(dir, 'queries.csv');
    await writeFile(queries, ['image,expected', ...rows.slice(0, 6).map((r) => `${r.image},${r.id}`)].join('\n') + '\n');
    const train = await cli('train', '--data', data, '--epochs', '3', '--queries', queries, '--json');
    expect(train.code, train.out + train.err).toBe(0);
    const report = JSON.parse(train.out);
    expect(report.before).not.toBe(report.after);
    expect(report.after).toContain('trained');
    expect(report.examples).toBe(baseMeta.count); // every image of every product (some have several)
    expect(report.categories).toBeGreaterThanOrEqual(2);
    expect(report.trainingSeconds).toBeGreaterThan(0);
    expect(report.peakMemoryMb).toBeGreaterThan(0);
    expect(report.eval.before.queries).toBe(6);
    expect(report.eval.after.queries).toBe(6);
    expect(train.err).toMatch(/index rebuilt/);

    const trainedMeta = (await indexMeta())!;
    expect(trainedMeta.extractor.name).toContain('trained');
    expect(trainedMeta.count).toBe(baseMeta.count);
    expect(trainedMeta.dimensions).toBe(128);

    // Search by image and similar items run in the projected space: an image finds its own product.
    const search = JSON.parse((await cli('search', rows[3]!.image, '--k', '3', '--json', '--data', data)).out);
    expect(search.results[0].id).toBe(rows[3]!.id);
    const similar = JSON.parse((await cli('similar', rows[3]!.id, '--k', '3', '--json', '--data', data)).out);
    expect(similar.results).toHaveLength(3);
    const stats = JSON.parse((await cli('stats', '--json', '--data', data)).out);
    expect(stats.extractor.name).toContain('trained');

    // New products are indexed with the projection (no rebuild, same identity).
    const more = await makeCatalog({ out: path.join(dir, 'more'), rows: 4, broken: 0, seed: 77, imageSize: 96 });
    const moreCsv = (await readFile(more.catalogPath, 'utf8')).replace(/^sku-/gm, 'new-');
    await writeFile(more.catalogPath, moreCsv);
    const ingest = await cli('ingest', more.catalogPath, '--data', data);
    expect(ingest.code, ingest.out + ingest.err).toBe(0);
    expect(ingest.err).not.toMatch(/index rebuilt/);
    const afterIngest = (await indexMeta())!;
    expect(afterIngest.extractor).toEqual(trainedMeta.extractor);
    expect(afterIngest.count).toBeGreaterThanOrEqual(trainedMeta.count + 4);
    const moreRows = await rowsOf(more.catalogPath);
    const found = JSON.parse((await cli('search', moreRows[0]!.image, '--k', '1', '--json', '--data', data)).out);
    expect(found.results[0].id).toBe(moreRows[0]!.id);

    const reset = await cli('train', '--reset', '--data', data, '--json');
    expect(reset.code, reset.out + reset.err).toBe(0);
    expect(JSON.parse(reset.out)).toMatchObject({ reset: true });
    const resetMeta = (await indexMeta())!;
    expect(resetMeta.extractor).toEqual(baseMeta.extractor);
    expect(resetMeta.count).toBe(afterIngest.count);
    const back = JSON.parse((await cli('search', rows[3]!.image, '--k', '1', '--json', '--data', data)).out);
    expect(back.results[0].id).toBe(rows[3]!.id);
  }, 240_000);

  it('refuses a catalog with one category (TRAINING_DATA_INSUFFICIENT, exit 1) and leaves the extractor alone', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const data = path.join(dir, 'data');
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 8, broken: 0, seed: 6, imageSize: 64 });
    const oneCategory = (await readFile(cat.catalogPath, 'utf8')).split('\n')
      .map((l, i) => (i === 0 || l === '' ? l : l.split(',').map((f, j) => (j === 3 ? 'shoes' : f)).join(','))).join('\n');
    await writeFile(cat.catalogPath, oneCategory);
    expect((await cli('ingest', cat.catalogPath, '--data', data)).code).toBe(0);
    const train = await cli('train', '--data', data, '--json');
    expect(train.code).toBe(1);
    expect(JSON.parse(train.out).error.code).toBe('TRAINING_DATA_INSUFFICIENT');
    const stats = JSON.parse((await cli('stats', '--json', '--data', data)).out);
    expect(stats.extractor.name).not.toContain('trained');
  }, 120_000);
});
