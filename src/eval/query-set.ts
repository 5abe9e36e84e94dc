import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { AppError } from '../domain/errors.js';
import { isHttpUrl } from '../ingest/image-source.js';

/** One labelled query photo: the products it should find (instance lookup) or its category. */
export interface EvalQuery {
  row: number;
  image: string;
  expected?: string[];
  category?: string;
}

/**
 * Reads a queries CSV: column `image` (path relative to the CSV, or an http(s) URL) and either
 * `expected` (product ids, `|`-separated) or `category`. Rows are numbered as a spreadsheet shows them.
 */
export async function readQuerySet(file: string): Promise<{ queries: EvalQuery[]; invalid: { row: number; reason: string }[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError('CATALOG_NOT_FOUND', `Queries file not found: ${file}`, { cause: err });
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
  } catch (err) {
    throw new AppError('INVALID_PARAMETER', `Queries file ${file} is not valid CSV: ${(err as Error).message}`, { cause: err });
  }
  const header = (records[0] ?? []).map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const [iImage, iExpected, iCategory] = [col('image'), col('expected'), col('category')];
  if (iImage < 0 || (iExpected < 0 && iCategory < 0)) {
    throw new AppError('INVALID_PARAMETER', `Queries CSV needs an "image" column and an "expected" or "category" column (found: ${header.join(', ')})`);
  }
  const base = path.dirname(path.resolve(file));
  const queries: EvalQuery[] = [];
  const invalid: { row: number; reason: string }[] = [];
  records.slice(1).forEach((rec, i) => {
    const row = i + 2;
    if (rec.every((c) => c.trim() === '')) return;
    const image = (rec[iImage] ?? '').trim();
    const expected = iExpected >= 0 ? (rec[iExpected] ?? '').split('|').map((s) => s.trim()).filter(Boolean) : [];
    const category = iCategory >= 0 ? (rec[iCategory] ?? '').trim() : '';
    if (!image) return void invalid.push({ row, reason: 'no image' });
    if (expected.length === 0 && !category) return void invalid.push({ row, reason: 'neither expected ids nor a category' });
    queries.push({
      row,
      image: isHttpUrl(image) ? image : path.resolve(base, image),
      ...(expected.length > 0 ? { expected } : {}),
      ...(category ? { category } : {}),
    });
  });
  return { queries, invalid };
}
