import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BROKEN_KINDS, makeCatalog, pngBomb } from './make-catalog.js';

describe('makeCatalog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-make-catalog-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the requested number of rows, exactly `broken` of them broken, as listed', async () => {
    const result = await makeCatalog({ out: dir, rows: 40, broken: 10, seed: 7, imageSize: 64 });

    const text = await readFile(result.catalogPath, 'utf8');
    const records = parse(text, { relax_column_count: true }) as string[][];
    const header = records[0]!;
    const data = records.slice(1);
    expect(header.slice(0, 7)).toEqual(['id', 'title', 'brand', 'category', 'price', 'currency', 'image']);
    expect(data).toHaveLength(40);
    expect(text.trimEnd().split('\n')).toHaveLength(41);

    const expected = JSON.parse(await readFile(result.expectedPath, 'utf8')) as {
      rows: number;
      broken: Array<{ row: number; kind: string }>;
    };
    expect(expected.rows).toBe(40);
    expect(expected.broken).toEqual(result.brokenRows);
    expect(result.brokenRows).toHaveLength(10);
    expect(new Set(result.brokenRows.map((b) => b.row)).size).toBe(10);
    expect(new Set(result.brokenRows.map((b) => b.kind)).size).toBe(10);
    for (const b of result.brokenRows) {
      expect(b.row).toBeGreaterThanOrEqual(3);
      expect(b.row).toBeLessThanOrEqual(41);
      expect(BROKEN_KINDS).toContain(b.kind);
    }

    // Every row not listed as broken is well-formed and its image decodes; spot-check that
    // the listed rows really are broken the way they say.
    const brokenByRow = new Map(result.brokenRows.map((b) => [b.row, b]));
    const seenIds = new Set<string>();
    for (const [i, fields] of data.entries()) {
      const row = i + 2;
      const b = brokenByRow.get(row);
      const [id, title, , , price, , image] = fields;
      if (!b) {
        expect(fields).toHaveLength(header.length);
        expect(id).not.toBe('');
        expect(seenIds.has(id!)).toBe(false);
        expect(title).not.toBe('');
        expect(Number(price)).toBeGreaterThan(0);
        for (const rel of image!.split('|')) {
          const meta = await sharp(path.join(dir, rel)).metadata();
          expect(meta.format).toBe('jpeg');
        }
      } else if (b.kind === 'wrong-column-count') {
        expect(fields.length).not.toBe(header.length);
      } else if (b.kind === 'empty-id') {
        expect(id).toBe('');
      } else if (b.kind === 'duplicate-id') {
        expect(seenIds.has(id!)).toBe(true);
      } else if (b.kind === 'missing-title') {
        expect(title).toBe('');
      } else if (b.kind === 'bad-price-text') {
        expect(Number.isNaN(Number(price))).toBe(true);
      } else if (b.kind === 'missing-image-file') {
        await expect(stat(path.join(dir, image!))).rejects.toThrow();
      } else if (b.kind === 'corrupt-jpeg') {
        await expect(sharp(path.join(dir, image!)).raw().toBuffer()).rejects.toThrow();
      } else if (b.kind === 'png-bomb-header') {
        const bytes = await readFile(path.join(dir, image!));
        expect(bytes.length).toBeLessThan(1000);
        expect(bytes.readUInt32BE(16)).toBe(30_000);
      }
      if (id) seenIds.add(id);
    }
  });

  it('is deterministic for a seed and draws distinct images', async () => {
    const a = await makeCatalog({ out: path.join(dir, 'a'), rows: 12, broken: 0, seed: 3, imageSize: 64 });
    const b = await makeCatalog({ out: path.join(dir, 'b'), rows: 12, broken: 0, seed: 3, imageSize: 64 });
    expect(await readFile(a.catalogPath, 'utf8')).toBe(await readFile(b.catalogPath, 'utf8'));
    const files = (await readdir(a.imagesDir)).filter((f) => f.endsWith('.jpg'));
    // Visually distinct, not just byte-distinct: 16×16 gray thumbnails differ clearly pairwise.
    const thumbs = await Promise.all(
      files.map((f) => sharp(path.join(a.imagesDir, f)).resize(16, 16).grayscale().raw().toBuffer()),
    );
    let closest = Infinity;
    for (let i = 0; i < thumbs.length; i++) {
      for (let j = i + 1; j < thumbs.length; j++) {
        let sum = 0;
        for (let k = 0; k < 256; k++) sum += Math.abs(thumbs[i]![k]! - thumbs[j]![k]!);
        closest = Math.min(closest, sum / 256);
      }
    }
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(closest).toBeGreaterThan(4);
  });

  it('rejects more broken rows than it can place', async () => {
    await expect(makeCatalog({ out: dir, rows: 5, broken: 5 })).rejects.toThrow(/broken/);
  });

  it('writes a PNG bomb of a few hundred bytes', () => {
    const bomb = pngBomb();
    expect(bomb.length).toBeLessThan(1000);
    expect(bomb.subarray(12, 16).toString('ascii')).toBe('IHDR');
  });
});
