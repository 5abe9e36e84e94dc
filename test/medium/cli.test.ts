import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCatalog } from '../catalogs/make-catalog.js';
import { loadConfig } from '../../src/config/config.js';
import { openShoplens } from '../../src/main.js';
import { nativeLine } from '../../src/search/lookup/lines.js';
import { cli, tempDir } from './shoplens.factory.js';

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});

describe('shoplens CLI', () => {
  it('ingest → search --json → similar → stats → delete, with meaningful exit codes', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const data = path.join(dir, 'data');
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 20, broken: 3, seed: 9 });

    const ingest = await cli('ingest', cat.catalogPath, '--data', data);
    expect(ingest.code).toBe(2); // some rows failed
    expect(ingest.out).toMatch(/created 17/);
    for (const b of cat.brokenRows) expect(ingest.out).toContain(`row ${b.row}`);

    const again = await cli('ingest', cat.catalogPath, '--data', data, '--json');
    const report = JSON.parse(again.out);
    expect(report).toMatchObject({ created: 0, updated: 0, noChanges: true });
    expect(report.failed).toHaveLength(3);

    const good = (await readFile(cat.catalogPath, 'utf8')).trimEnd().split('\n').slice(1)
      .map((l) => l.split(','))
      .find((c) => !cat.brokenRows.some((b) => b.id === c[0]) && c[0] !== '')!;
    const image = path.join(path.dirname(cat.catalogPath), good[6]!.split('|')[0]!);
    const search = await cli('search', image, '--k', '5', '--json', '--data', data);
    expect(search.code).toBe(0);
    const parsed = JSON.parse(search.out);
    expect(parsed.results).toHaveLength(5);
    expect(parsed.results[0]).toMatchObject({ id: good[0], title: good[1] });
    expect(typeof parsed.results[0].score).toBe('number');

    const human = await cli('search', image, '--k', '3', '--data', data);
    expect(human.out).toContain(good[0]!);

    const similar = await cli('similar', good[0]!, '--k', '4', '--json', '--data', data);
    const sim = JSON.parse(similar.out);
    expect(sim.results).toHaveLength(4);
    expect(sim.results.map((r: { id: string }) => r.id)).not.toContain(good[0]);

    const stats = JSON.parse((await cli('stats', '--json', '--data', data)).out);
    expect(stats.products).toBe(17);
    expect(stats.index.vectors).toBe(stats.images);

    const del = await cli('delete', good[0]!, '--data', data);
    expect(del.code).toBe(0);
    expect((await cli('similar', good[0]!, '--data', data)).code).toBe(1);
    const after = JSON.parse((await cli('search', image, '--k', '20', '--json', '--data', data)).out);
    expect(after.results.map((r: { id: string }) => r.id)).not.toContain(good[0]);
  });

  it('reports bad input with a stable code and exit code 1, usage errors with 64', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const data = path.join(dir, 'data');
    const missing = await cli('ingest', path.join(dir, 'nope.csv'), '--data', data);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/CATALOG_NOT_FOUND/);
    const badK = await cli('search', path.join(dir, 'x.jpg'), '--k', 'zero', '--data', data);
    expect(badK.code).toBe(1);
    expect(badK.err).toMatch(/INVALID_PARAMETER/);
    const json = await cli('search', path.join(dir, 'x.jpg'), '--json', '--data', data);
    expect(JSON.parse(json.out).error.code).toBe('IMAGE_NOT_FOUND');
    expect((await cli('frobnicate')).code).toBe(64);
    expect((await cli('search')).code).toBe(64);
  });

  it('ingest --lookup turns product lookup on for the data directory, later commands follow it, --no-lookup turns it off', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const data = path.join(dir, 'data');
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 8, broken: 0, seed: 4 });
    const lookupOf = async () => JSON.parse((await cli('stats', '--json', '--data', data)).out).lookup;

    const plain = await cli('ingest', cat.catalogPath, '--data', data, '--json');
    expect(JSON.parse(plain.out).lookup).toBeNull();
    expect(await lookupOf()).toBeNull();
    expect((await cli('stats', '--data', data)).out).toMatch(/product lookup: off/);

    // Switched on: the unchanged rows get their local features now, and the setting is kept.
    const on = await cli('ingest', cat.catalogPath, '--data', data, '--lookup');
    expect(on.code).toBe(0);
    expect(on.out).toMatch(/unchanged 8/);
    expect(on.out).toMatch(/product lookup: on, ready \(\d+ keypoints, vocabulary of \d+ words(; edge templates of \d+ images calibrated)?\)/);
    // (the catalogue's drawings on white get edge templates, calibrated at this import, with the LINE-2D addon)
    if (nativeLine()) expect(on.out).toMatch(/edge templates of [1-9]\d* images calibrated/);
    expect(await lookupOf()).toEqual({ ready: true });
    expect((await cli('stats', '--data', data)).out).toMatch(/product lookup: on\n/);
    const again = JSON.parse((await cli('ingest', cat.catalogPath, '--data', data, '--json')).out);
    // Nothing new to calibrate on a second import of the same catalog.
    expect(again.lookup).toMatchObject({ ready: true, needed: 5000, calibrated: 0 });
    expect(again.lookup.descriptors).toBeGreaterThanOrEqual(5000);

    expect((await cli('ingest', cat.catalogPath, '--data', data, '--no-lookup')).code).toBe(0);
    expect(await lookupOf()).toBeNull();
    expect(JSON.parse((await cli('ingest', cat.catalogPath, '--data', data, '--json')).out).lookup).toBeNull();
  });

  it('a data directory ingested with SHOPLENS_LOCAL_FEATURES=true before the setting was recorded keeps product lookup', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const data = path.join(dir, 'data');
    const cat = await makeCatalog({ out: path.join(dir, 'cat'), rows: 4, broken: 0, seed: 5 });
    const forced = await openShoplens(loadConfig({ dataDir: data, localFeatures: true }, {}));
    await forced.ingest.ingest(cat.catalogPath);
    await forced.close();
    for (const [setting, on] of [['auto', true], [false, false]] as const) {
      const s = await openShoplens(loadConfig({ dataDir: data, localFeatures: setting }, {}));
      expect(s.lookup !== null).toBe(on);
      await s.close();
    }
  });
});
