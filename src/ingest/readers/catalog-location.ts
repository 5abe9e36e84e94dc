import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { AppError } from '../../domain/errors.js';

/** stat() of a catalog location, with "not there" turned into CATALOG_NOT_FOUND. */
export async function statCatalog(location: string): Promise<Stats> {
  try {
    return await stat(location);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new AppError('CATALOG_NOT_FOUND', `catalog not found: ${location}`, { details: { location }, cause: err });
    }
    throw new AppError('CATALOG_NOT_FOUND', `cannot read catalog ${location}: ${(err as Error).message}`, {
      details: { location, errno: code },
      cause: err,
    });
  }
}

/** Like statCatalog, but the location must be a regular file. */
export async function assertCatalogFile(location: string): Promise<void> {
  const s = await statCatalog(location);
  if (!s.isFile()) {
    throw new AppError('UNSUPPORTED_CATALOG_FORMAT', `catalog ${location} is not a regular file`, { details: { location } });
  }
}
