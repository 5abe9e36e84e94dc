import { mkdtemp, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFashionMnist, takeFirst } from './fashion-mnist.reader.js';
import { syntheticSplit, writeSyntheticFashionMnist } from './idx.fixture.js';

describe('readFashionMnist', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-fmnist-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it.each([
    ['gzip\'d', { gzip: true }],
    ['plain', { gzip: false }],
    ['mixed gzip\'d and plain', { gzip: true, mixed: true }],
  ])('reads %s files: counts, sizes, pixels and labels', async (_name, opts) => {
    const train = syntheticSplit(30, 6, 4, 1);
    const test = syntheticSplit(7, 6, 4, 2);
    await writeSyntheticFashionMnist(dir, train, test, 6, opts);
    const data = await readFashionMnist(dir);
    expect(data.train).toMatchObject({ count: 30, rows: 6, cols: 6 });
    expect(data.test).toMatchObject({ count: 7, rows: 6, cols: 6 });
    expect([...data.train.labels]).toEqual([...train.labels]);
    expect([...data.test.pixels]).toEqual([...test.pixels]);
  });

  it('a missing dataset is DATASET_NOT_FOUND and says how to install it', async () => {
    const err = await readFashionMnist(path.join(dir, 'absent')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DATASET_NOT_FOUND' });
    expect((err as Error).message).toContain('apt-get install dataset-fashion-mnist');
  });

  it('names the missing file when only one is absent', async () => {
    await writeSyntheticFashionMnist(dir, syntheticSplit(5, 4, 2, 1), syntheticSplit(3, 4, 2, 2), 4);
    await unlink(path.join(dir, 't10k-labels-idx1-ubyte.gz'));
    await expect(readFashionMnist(dir)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND', message: expect.stringContaining('t10k-labels-idx1-ubyte') });
  });

  it('rejects image and label counts that disagree', async () => {
    const train = syntheticSplit(5, 4, 2, 1);
    await writeSyntheticFashionMnist(dir, { pixels: train.pixels, labels: train.labels.subarray(0, 4) }, syntheticSplit(3, 4, 2, 2), 4);
    await expect(readFashionMnist(dir)).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });

  it('takeFirst keeps the first n images and labels', async () => {
    await writeSyntheticFashionMnist(dir, syntheticSplit(10, 4, 3, 1), syntheticSplit(3, 4, 3, 2), 4);
    const { train } = await readFashionMnist(dir);
    const head = takeFirst(train, 4);
    expect(head.count).toBe(4);
    expect([...head.labels]).toEqual([...train.labels.subarray(0, 4)]);
    expect(head.pixels.length).toBe(4 * 16);
    expect(takeFirst(train, 99)).toBe(train);
  });
});
