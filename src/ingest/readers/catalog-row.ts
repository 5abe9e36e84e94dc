import type { ProductInput } from '../../domain/product.js';

/**
 * One row of a catalog as a reader saw it: a valid product, or the reason it was rejected.
 * Bad rows are values, not exceptions, so one broken line never stops an import; only a
 * catalog that cannot be read at all (missing, unknown format, unusable header) throws.
 *
 * `row` is what a person would use to find the row in the source:
 * - CSV: the spreadsheet row number, header = row 1, first product = row 2 (a record with
 *   quoted line breaks is still one row; blank rows are counted but produce nothing);
 * - JSONL: the 1-based line number in the file;
 * - folder: the 1-based position of the image file in sorted path order.
 */
export type CatalogRow =
  | { row: number; ok: true; product: ProductInput }
  | { row: number; ok: false; id?: string; code: 'INVALID_CATALOG_ROW'; reason: string };

/** A rejected row. */
export function badRow(row: number, reason: string, id?: string): CatalogRow {
  return id ? { row, ok: false, id, code: 'INVALID_CATALOG_ROW', reason } : { row, ok: false, code: 'INVALID_CATALOG_ROW', reason };
}
