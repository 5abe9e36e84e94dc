import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CatalogRow } from './catalog-row.js';
import { statCatalog } from './catalog-location.js';
import { toCatalogRow, toProductInput } from './product-fields.js';
import { AppError } from '../../domain/errors.js';

/** File extensions (lower case) treated as product images in a folder catalog. */
export const FOLDER_IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.avif', '.gif']);

/**
 * A folder of images as a catalog: one product per image file, found recursively.
 * - id: path relative to the folder, without extension, with `/` separators (`shoes/red-sneaker`);
 * - category: the first-level sub-folder (none for files at the top level);
 * - title: the file name with dashes/underscores as spaces, first letter capitalised;
 * - no brand, price or attributes.
 * Files are visited in sorted path order (by UTF-16 code unit, locale-independent), so ids and
 * row numbers are the same on every machine. Hidden entries (".name") are skipped, symlinked
 * files are followed, symlinked directories are not (no cycles). Two files that differ only
 * in extension (`a.jpg`, `a.png`) share an id: the second is a duplicate-id bad row.
 */
export async function* readFolderCatalog(dir: string): AsyncGenerator<CatalogRow> {
  const s = await statCatalog(dir);
  if (!s.isDirectory()) {
    throw new AppError('UNSUPPORTED_CATALOG_FORMAT', `catalog ${dir} is not a directory`, { details: { location: dir } });
  }
  const root = path.resolve(dir);
  const files = (await listImages(root, '')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const acceptedIds = new Set<string>();
  let row = 0;
  for (const rel of files) {
    row++;
    const segments = rel.split('/');
    const fileName = segments[segments.length - 1]!;
    const ext = path.extname(fileName);
    const base = fileName.slice(0, fileName.length - ext.length);
    const id = rel.slice(0, rel.length - ext.length);
    yield toCatalogRow(
      row,
      toProductInput(
        {
          id,
          title: titleFromFileName(base),
          category: segments.length > 1 ? segments[0]! : undefined,
          images: [path.join(root, ...segments)],
          attributes: {},
        },
        root,
      ),
      acceptedIds,
    );
  }
}

/** "red-sneaker_v2" -> "Red sneaker v2". Falls back to the raw name if nothing is left. */
export function titleFromFileName(base: string): string {
  const words = base.replace(/[-_]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (!words) return base;
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Relative paths (with `/`) of image files under root/rel. */
async function listImages(root: string, rel: string): Promise<string[]> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const childRel = rel ? `${rel}/${entry.name}` : entry.name;
    let isFile = entry.isFile();
    if (entry.isDirectory()) {
      out.push(...(await listImages(root, childRel)));
      continue;
    }
    if (entry.isSymbolicLink()) {
      isFile = await stat(path.join(root, childRel)).then((st) => st.isFile(), () => false);
    }
    if (isFile && FOLDER_IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(childRel);
  }
  return out;
}
