import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parse, type CsvError } from 'csv-parse';
import { AppError } from '../../domain/errors.js';
import { assertCatalogFile } from './catalog-location.js';
import { badRow, type CatalogRow } from './catalog-row.js';
import {
  IMAGE_FIELD_ALIASES,
  attributeName,
  splitImageList,
  toCatalogRow,
  toProductInput,
  type RawProductFields,
} from './product-fields.js';

/** Columns every CSV catalog must have (an image column may use any of the image aliases). */
const REQUIRED = ['id', 'title', 'image'] as const;

interface Header {
  width: number;
  /** Column index of each known field. */
  id: number;
  title: number;
  brand: number | undefined;
  category: number | undefined;
  price: number | undefined;
  currency: number | undefined;
  /** Every image-alias column, in header order (their lists are concatenated). */
  images: number[];
  /** Other named columns: index -> attribute name. */
  attributes: [number, string][];
}

interface SkippedRecord {
  /** Records successfully parsed before the bad one (header included). */
  after: number;
  line: number;
  message: string;
}

/**
 * Streams a CSV catalog. Header row required, UTF-8 with or without BOM, column names
 * case-insensitive. Known columns: id, title, brand, category, price, currency and the image
 * column (image | images | image_url | image_path; `|`-separated list). Other columns become
 * attributes (lower-cased names, empty values dropped).
 *
 * Throws only for a catalog that cannot be read as a whole: CATALOG_NOT_FOUND, or
 * INVALID_CATALOG_ROW (details.row = 1) for an empty file or an unusable header.
 */
export async function* readCsvCatalog(file: string): AsyncGenerator<CatalogRow> {
  await assertCatalogFile(file);
  const baseDir = path.dirname(path.resolve(file));
  const skipped: SkippedRecord[] = [];
  const parser = parse({
    bom: true,
    info: true,
    // A row with the wrong number of fields is reported as a bad row, not an abort.
    relax_column_count: true,
    // Keep blank lines as (empty) records so row numbers match what a spreadsheet shows.
    skip_empty_lines: false,
    // Quotes inside unquoted fields (`12" screen`) and text after a closing quote are taken
    // literally, as spreadsheets do: strict RFC 4180 errors would leave the parser in a quoted
    // state that swallows the following rows.
    relax_quotes: true,
    // What still fails (a quote never closed) is reported as a bad row, not an abort. on_skip
    // records where, so it comes out in row order.
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined) => {
      const info = err as { records?: unknown; lines?: unknown } | undefined;
      const after = typeof info?.records === 'number' ? info.records : 0;
      const line = typeof info?.lines === 'number' ? info.lines : -1;
      const last = skipped[skipped.length - 1];
      if (last && last.after === after && last.line === line) return undefined; // same record again
      skipped.push({ after, line, message: describeCsvError(err) });
      return undefined;
    },
  });
  const input = createReadStream(file);
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);

  let header: Header | undefined;
  let skipsReported = 0;
  const acceptedIds = new Set<string>();

  // A skipped record sits between parsed records `after` and `after + 1`; its spreadsheet row
  // counts every parsed and skipped record before it. With the options above the only skip
  // that can happen is an unclosed quote at the end of the file, but the bookkeeping keeps
  // row numbers right should another recoverable error appear mid-file.
  function* reportSkips(beforeRecord: number): Generator<CatalogRow> {
    while (skipped.length > 0 && skipped[0]!.after < beforeRecord) {
      const s = skipped.shift()!;
      if (s.after === 0) {
        throw new AppError('INVALID_CATALOG_ROW', `CSV header (row 1) of ${file} is malformed: ${s.message}`, {
          details: { row: 1, file },
        });
      }
      const row = s.after + 1 + skipsReported;
      skipsReported++;
      yield badRow(row, `malformed CSV row: ${s.message}`);
    }
  }

  try {
    for await (const chunk of parser as AsyncIterable<{ record: string[]; info: { records: number } }>) {
      const { record, info } = chunk;
      yield* reportSkips(info.records);
      const row = info.records + skipsReported;
      if (!header) {
        header = parseHeader(record, file);
        continue;
      }
      if (record.every((f) => f.trim() === '')) continue; // blank row
      if (record.length !== header.width) {
        const id = header.id < record.length ? record[header.id]?.trim() : undefined;
        yield badRow(row, `malformed CSV row: expected ${header.width} columns, found ${record.length}`, id || undefined);
        continue;
      }
      yield toCatalogRow(row, toProductInput(extract(record, header), baseDir), acceptedIds);
    }
    yield* reportSkips(Number.POSITIVE_INFINITY);
  } finally {
    input.destroy();
    parser.destroy();
  }
  if (!header) {
    throw new AppError('INVALID_CATALOG_ROW', `CSV catalog ${file} is empty: a header row is required`, {
      details: { row: 1, file },
    });
  }
}

function describeCsvError(err: CsvError | undefined): string {
  if (err?.code === 'CSV_QUOTE_NOT_CLOSED') {
    return 'a quoted field is never closed, so this row and every row after it could not be read';
  }
  return err?.message ?? 'unreadable record';
}

function parseHeader(record: string[], file: string): Header {
  const names = record.map((n) => n.trim().toLowerCase());
  const seen = new Map<string, number>();
  const duplicates: string[] = [];
  const header: Header = {
    width: record.length,
    id: -1,
    title: -1,
    brand: undefined,
    category: undefined,
    price: undefined,
    currency: undefined,
    images: [],
    attributes: [],
  };
  names.forEach((name, i) => {
    if (name === '') return; // unnamed column (e.g. a trailing comma): ignored
    if (seen.has(name)) duplicates.push(record[i]!.trim());
    seen.set(name, i);
    if ((IMAGE_FIELD_ALIASES as readonly string[]).includes(name)) header.images.push(i);
    else if (name === 'id') header.id = i;
    else if (name === 'title') header.title = i;
    else if (name === 'brand') header.brand = i;
    else if (name === 'category') header.category = i;
    else if (name === 'price') header.price = i;
    else if (name === 'currency') header.currency = i;
    else header.attributes.push([i, attributeName(name)]);
  });
  if (duplicates.length > 0) {
    throw new AppError(
      'INVALID_CATALOG_ROW',
      `CSV header (row 1) of ${file} repeats column(s): ${duplicates.join(', ')} (names are case-insensitive)`,
      { details: { row: 1, file, duplicates } },
    );
  }
  const missing = REQUIRED.filter((c) =>
    c === 'image' ? header.images.length === 0 : c === 'id' ? header.id < 0 : header.title < 0,
  );
  if (missing.length > 0) {
    throw new AppError(
      'INVALID_CATALOG_ROW',
      `CSV header (row 1) of ${file} is missing required column(s): ${missing.join(', ')}` +
        ` (found: ${names.filter(Boolean).join(', ') || 'none'}; the image column may be named ${IMAGE_FIELD_ALIASES.join(', ')})`,
      { details: { row: 1, file, missing, found: names } },
    );
  }
  return header;
}

function extract(record: string[], h: Header): RawProductFields {
  const cell = (i: number | undefined): string | undefined => {
    if (i === undefined || i < 0) return undefined;
    const v = record[i]?.trim();
    return v ? v : undefined;
  };
  const attributes: Record<string, string> = {};
  for (const [i, name] of h.attributes) {
    const v = cell(i);
    if (v !== undefined) attributes[name] = v;
  }
  const fields: RawProductFields = {
    images: h.images.flatMap((i) => splitImageList(record[i] ?? '')),
    attributes,
  };
  const set = <K extends 'id' | 'title' | 'brand' | 'category' | 'price' | 'currency'>(k: K, i: number | undefined) => {
    const v = cell(i);
    if (v !== undefined) fields[k] = v;
  };
  set('id', h.id);
  set('title', h.title);
  set('brand', h.brand);
  set('category', h.category);
  set('price', h.price);
  set('currency', h.currency);
  return fields;
}
