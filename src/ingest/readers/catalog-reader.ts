import path from 'node:path';
import { AppError } from '../../domain/errors.js';
import { statCatalog } from './catalog-location.js';
import type { CatalogRow } from './catalog-row.js';
import { readCsvCatalog } from './csv.reader.js';
import { readFolderCatalog } from './folder.reader.js';
import { readJsonlCatalog } from './jsonl.reader.js';

export const CATALOG_FILE_EXTENSIONS = ['.csv', '.jsonl', '.ndjson'] as const;

/**
 * Reads a catalog from a CSV file, a JSON Lines file (.jsonl/.ndjson) or a folder of images,
 * row by row (streaming: memory does not grow with the catalog). Bad rows come out as
 * `ok: false` values; the whole read throws only when the catalog cannot be read at all:
 * CATALOG_NOT_FOUND, UNSUPPORTED_CATALOG_FORMAT, or INVALID_CATALOG_ROW for a bad CSV header.
 */
export async function* readCatalog(location: string): AsyncGenerator<CatalogRow> {
  const s = await statCatalog(location);
  if (s.isDirectory()) {
    yield* readFolderCatalog(location);
    return;
  }
  const ext = path.extname(location).toLowerCase();
  if (ext === '.csv') yield* readCsvCatalog(location);
  else if (ext === '.jsonl' || ext === '.ndjson') yield* readJsonlCatalog(location);
  else {
    throw new AppError(
      'UNSUPPORTED_CATALOG_FORMAT',
      `unsupported catalog format "${ext || path.basename(location)}": use ${CATALOG_FILE_EXTENSIONS.join(', ')} or a folder of images`,
      { details: { location, extension: ext } },
    );
  }
}
