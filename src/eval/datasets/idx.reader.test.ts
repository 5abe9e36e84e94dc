import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../domain/errors.js';
import { encodeIdx } from './idx.fixture.js';
import { parseIdx, readIdxFile } from './idx.reader.js';

describe('parseIdx', () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 7);

  it('reads shape (big-endian sizes) and data of a plain IDX buffer', () => {
    const idx = parseIdx(encodeIdx([2, 3, 4], data));
    expect(idx.shape).toEqual([2, 3, 4]);
    expect([...idx.data]).toEqual([...data]);
  });

  it('gunzips a gzip\'d buffer first', () => {
    const idx = parseIdx(gzipSync(encodeIdx([24], data)));
    expect(idx.shape).toEqual([24]);
    expect([...idx.data]).toEqual([...data]);
  });

  it('reads sizes above 255 (60,000 like the real training set)', () => {
    const idx = parseIdx(encodeIdx([60000], new Uint8Array(60000)));
    expect(idx.shape).toEqual([60000]);
  });

  it.each([
    ['bad magic', Buffer.from([0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1, 5])],
    ['non-byte element type', Buffer.from([0, 0, 0x0d, 0x01, 0, 0, 0, 1, 5, 5, 5, 5])],
    ['truncated header', Buffer.from([0, 0, 0x08, 0x03, 0, 0, 0, 1])],
    ['too few data bytes', encodeIdx([2, 3, 4], data).subarray(0, 20)],
    ['too many data bytes', Buffer.concat([encodeIdx([2], Uint8Array.of(1, 2)), Buffer.from([3])])],
    ['corrupt gzip', Buffer.from([0x1f, 0x8b, 1, 2, 3, 4])],
  ])('rejects %s with INVALID_PARAMETER', (_name, bytes) => {
    expect(() => parseIdx(bytes, 'x.idx')).toThrow(AppError);
    try { parseIdx(bytes, 'x.idx'); } catch (err) { expect((err as AppError).code).toBe('INVALID_PARAMETER'); expect((err as AppError).message).toContain('x.idx'); }
  });
});

describe('readIdxFile', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-idx-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('reads a file from disk', async () => {
    const file = path.join(dir, 'labels-idx1-ubyte.gz');
    await writeFile(file, gzipSync(encodeIdx([3], Uint8Array.of(9, 0, 4))));
    const idx = await readIdxFile(file);
    expect([...idx.data]).toEqual([9, 0, 4]);
  });

  it('a missing file is DATASET_NOT_FOUND', async () => {
    await expect(readIdxFile(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });
});
