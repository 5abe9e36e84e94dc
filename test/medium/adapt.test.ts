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

/** Catalog rows (id, first image path) of a make-catalog CSV. */
async function rowsOf(catalogPath: string): Promise<{ id: string; image: string }[]> {
  const lines = (await readFile(catalogPath, 'utf8')).trimEnd().split('\n').slice(1);
  return lines.map((l) => l.split(',')).map((c) => ({ id: c[0]!, image: path.join(path.dirname(catalogPath), c[6]!.split('|')[0]!) }));
}

describe('shoplens adapt', () => {
  it('adapts to the catalog without labels: new identity, index rebuilt, search / similar / ingest keep working; --reset goes back', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const data = path.join(dir, 'data');
    // Categories blanked: the adaptation must not need them.
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 110, broken: 0, seed: 9, imageSize: 64 });
    const unlabelled = (await readFile(cat.catalogPath, 'utf8')).split('\n')
      .map((l, i) => (i === 0 || l === '' ? l : l.split(',').map((f, j) => (j === 3 ? '' : f)).join(','))).join('\n');
    await writeFile(cat.catalogPath, unlabelled);
    const rows = await rowsOf(cat.catalogPath);
    expect((await cli('ingest', cat.catalogPath, '--data', data)).code).toBe(0);
    const indexMeta = () => readIndexMeta(path.join(data, 'index', INDEX_META_FILE));
    const baseMeta = (await indexMeta())!;

    // Without labels `train` has nothing to learn from; `adapt` does.
    expect(JSON.parse((await cli('train', '--data', data, '--json')).out).error.code).toBe('TRAINING_DATA_INSUFFICIENT');
    const queries = path.join(dir, 'queries.csv');
    await writeFile(queries, ['image,expected', ...rows.slice(0, 5).map((r) => `${r.image},${r.id}`)].join('\n') + '\n');
    const adapt = await cli('adapt', '--data', data, '--queries', queries, '--json');
    expect(adapt.code, adapt.out + adapt.err).toBe(0);
    const report = JSON.parse(adapt.out);
    expect(report.before).toMatch(new RegExp(`^${baseMeta.extractor.name}@${baseMeta.extractor.version}/`));
    expect(report.after).toContain('-adapted');
    expect(report.examples).toBe(baseMeta.count);
    expect(report.dimensions).toBe(2 * Math.min(1024, baseMeta.count - 1));
    expect(report.edges).toBeGreaterThan(0);
    expect(report.shadowedByTrainedProjection).toBe(false);
    expect(report.eval.before.queries).toBe(5);
    expect(report.eval.after.queries).toBe(5);
    expect(adapt.err).toMatch(/index rebuilt/);

    const adaptedMeta = (await indexMeta())!;
    expect(adaptedMeta.extractor.name).toBe(`${baseMeta.extractor.name}-adapted`);
    expect(adaptedMeta.count).toBe(baseMeta.count);

    // Search by image and similar items run in the adapted space: an image finds its own product.
    const search = JSON.parse((await cli('search', rows[3]!.image, '--k', '3', '--json', '--data', data)).out);
    expect(search.results[0].id).toBe(rows[3]!.id);
    const similar = JSON.parse((await cli('similar', rows[3]!.id, '--k', '3', '--json', '--data', data)).out);
    expect(similar.results).toHaveLength(3);

    // New products are adapted like the rest (no rebuild, same identity).
    const more = await makeCatalog({ out: path.join(dir, 'more'), rows: 3, broken: 0, seed: 78, imageSize: 64 });
    await writeFile(more.catalogPath, (await readFile(more.catalogPath, 'utf8')).replace(/^sku-/gm, 'new-'));
    const ingest = await cli('ingest', more.catalogPath, '--data', data);
    expect(ingest.code, ingest.out + ingest.err).toBe(0);
    expect(ingest.err).not.toMatch(/index rebuilt/);
    expect((await indexMeta())!.extractor).toEqual(adaptedMeta.extractor);
    const moreRows = await rowsOf(more.catalogPath);
    const found = JSON.parse((await cli('search', moreRows[0]!.image, '--k', '1', '--json', '--data', data)).out);
    expect(found.results[0].id).toBe(moreRows[0]!.id);

    const reset = await cli('adapt', '--reset', '--data', data, '--json');
    expect(reset.code, reset.out + reset.err).toBe(0);
    expect(JSON.parse(reset.out)).toMatchObject({ reset: true });
    expect((await indexMeta())!.extractor).toEqual(baseMeta.extractor);
    const again = await cli('adapt', '--reset', '--data', data, '--json');
    expect(JSON.parse(again.out)).toMatchObject({ reset: false });
  }, 300_000);

  it('refuses a catalog too small to adapt to (TRAINING_DATA_INSUFFICIENT, exit 1); a damaged adaptation is ADAPTATION_CORRUPT', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const data = path.join(dir, 'data');
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 8, broken: 0, seed: 6, imageSize: 64 });
    expect((await cli('ingest', cat.catalogPath, '--data', data)).code).toBe(0);
    const adapt = await cli('adapt', '--data', data, '--json');
    expect(adapt.code).toBe(1);
    expect(JSON.parse(adapt.out).error.code).toBe('TRAINING_DATA_INSUFFICIENT');
    const stats = JSON.parse((await cli('stats', '--json', '--data', data)).out);
    expect(stats.extractor.name).not.toContain('adapted');

    await import('node:fs/promises').then((fs) => fs.mkdir(path.join(data, 'adapted'), { recursive: true }));
    await writeFile(path.join(data, 'adapted', 'adaptation.json'), '{ not json');
    const broken = await cli('stats', '--json', '--data', data);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.out).error.code).toBe('ADAPTATION_CORRUPT');
  }, 120_000);
});

describe('shoplens ingest adapts a large enough catalog', () => {
  const saved = process.env['SHOPLENS_AUTO_ADAPT_MIN_IMAGES'];
  afterEach(() => {
    if (saved === undefined) delete process.env['SHOPLENS_AUTO_ADAPT_MIN_IMAGES'];
    else process.env['SHOPLENS_AUTO_ADAPT_MIN_IMAGES'] = saved;
  });

  it('from SHOPLENS_AUTO_ADAPT_MIN_IMAGES images on (not below, not with --no-adapt), once; the index is rebuilt right away; a failure only warns', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 110, broken: 0, seed: 10, imageSize: 64 });
    const extractorOf = async (data: string) => JSON.parse((await cli('stats', '--json', '--data', data)).out).extractor.name as string;

    process.env['SHOPLENS_AUTO_ADAPT_MIN_IMAGES'] = '100000';
    const below = path.join(dir, 'below');
    const small = await cli('ingest', cat.catalogPath, '--data', below, '--json');
    expect(small.code, small.err).toBe(0);
    expect(JSON.parse(small.out).adaptation).toBeUndefined();
    expect(await extractorOf(below)).not.toContain('adapted');

    process.env['SHOPLENS_AUTO_ADAPT_MIN_IMAGES'] = '100';
    const skipped = path.join(dir, 'skipped');
    expect((await cli('ingest', cat.catalogPath, '--data', skipped, '--no-adapt', '--json')).code).toBe(0);
    expect(await extractorOf(skipped)).not.toContain('adapted');

    // A failed adaptation is a warning: the import is stored (here: a threshold below what adapting needs).
    process.env['SHOPLENS_AUTO_ADAPT_MIN_IMAGES'] = '5';
    const few = await makeCatalog({ out: path.join(dir, 'few'), rows: 8, broken: 0, seed: 11, imageSize: 64 });
    const failed = await cli('ingest', few.catalogPath, '--data', path.join(dir, 'few-data'), '--json');
    expect(failed.code, failed.err).toBe(0);
    expect(JSON.parse(failed.out)).toMatchObject({ created: 8, adaptation: { error: { code: 'TRAINING_DATA_INSUFFICIENT' } } });
    expect(failed.err).toMatch(/warning: adapting to the catalog failed/);
    expect(await extractorOf(path.join(dir, 'few-data'))).not.toContain('adapted');

    process.env['SHOPLENS_AUTO_ADAPT_MIN_IMAGES'] = '100';
    const data = path.join(dir, 'data');
    const ingest = await cli('ingest', cat.catalogPath, '--data', data, '--json');
    expect(ingest.code, ingest.err).toBe(0);
    const report = JSON.parse(ingest.out);
    expect(report.created).toBe(110);
    expect(report.adaptation.extractor).toContain('-adapted');
    expect(report.adaptation.images).toBeGreaterThanOrEqual(110);
    expect(ingest.err).toMatch(/adapting the features to the catalog/);
    expect(ingest.err).toMatch(/index rebuilt/);
    const meta = (await readIndexMeta(path.join(data, 'index', INDEX_META_FILE)))!;
    expect(meta.extractor.name).toBe(report.adaptation.extractor);
    // Already adapted: a further ingest keeps the adaptation (no refit).
    const again = await cli('ingest', cat.catalogPath, '--data', data, '--json');
    expect(JSON.parse(again.out).adaptation).toBeUndefined();
    expect((await readIndexMeta(path.join(data, 'index', INDEX_META_FILE)))!.extractor).toEqual(meta.extractor);
  }, 300_000);
});
