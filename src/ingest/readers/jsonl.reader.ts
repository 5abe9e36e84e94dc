import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { assertCatalogFile } from './catalog-location.js';
import { badRow, type CatalogRow } from './catalog-row.js';
import {
  IMAGE_FIELD_ALIASES,
  KNOWN_FIELDS,
  attributeName,
  splitImageList,
  toCatalogRow,
  toProductInput,
  type RawProductFields,
} from './product-fields.js';

/**
 * Streams a JSON Lines catalog: one object per line with the CSV fields (names
 * case-insensitive). `images` (or any image alias) may be a `|`-separated string or an array
 * of strings; `attributes` an object of scalar values; price a number or numeric string.
 * Other top-level scalar fields become attributes, like extra CSV columns. Blank lines are
 * skipped; `row` is the 1-based line number.
 */
export async function* readJsonlCatalog(file: string): AsyncGenerator<CatalogRow> {
  await assertCatalogFile(file);
  const baseDir = path.dirname(path.resolve(file));
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const acceptedIds = new Set<string>();
  let row = 0;
  try {
    for await (const rawLine of lines) {
      row++;
      const line = row === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        yield badRow(row, `invalid JSON: ${(err as Error).message}`);
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        yield badRow(row, `expected a JSON object, found ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'null' : typeof value}`);
        continue;
      }
      const extracted = extract(value as Record<string, unknown>);
      const result = toProductInput(extracted.fields, baseDir);
      if (extracted.reasons.length > 0) {
        const reasons = result.ok ? extracted.reasons : [...extracted.reasons, result.reason];
        yield badRow(row, reasons.join('; '), extracted.fields.id);
        continue;
      }
      yield toCatalogRow(row, result, acceptedIds);
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

function extract(obj: Record<string, unknown>): { fields: RawProductFields; reasons: string[] } {
  const reasons: string[] = [];
  const fields: RawProductFields = { images: [], attributes: {} };
  const explicitAttributes: Record<string, string> = {};

  for (const [rawKey, value] of Object.entries(obj)) {
    const key = rawKey.trim().toLowerCase();
    if ((IMAGE_FIELD_ALIASES as readonly string[]).includes(key)) {
      if (typeof value === 'string') fields.images.push(...splitImageList(value));
      else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
        fields.images.push(...(value as string[]).map((v) => v.trim()).filter(Boolean));
      } else if (value !== null && value !== undefined) {
        reasons.push(`"${rawKey}" must be a string or an array of strings`);
      }
    } else if (key === 'price') {
      if (typeof value === 'number') fields.price = value;
      else if (typeof value === 'string') fields.price = value.trim();
      else if (value !== null && value !== undefined) reasons.push(`bad price: must be a number or a numeric string`);
    } else if (key === 'attributes') {
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        reasons.push('"attributes" must be an object');
        continue;
      }
      for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
        const text = scalarText(v);
        if (text === null) reasons.push(`attribute "${name}" must be a string, number or boolean`);
        else if (text !== '' && attributeName(name) !== '') explicitAttributes[attributeName(name)] = text;
      }
    } else if (KNOWN_FIELDS.has(key)) {
      const text = scalarText(value);
      if (text === null) reasons.push(`"${rawKey}" must be a string`);
      else if (text !== '') fields[key as 'id' | 'title' | 'brand' | 'category' | 'currency'] = text;
    } else {
      const text = scalarText(value);
      if (text === null) reasons.push(`field "${rawKey}" must be a string, number or boolean (nested values are not attributes)`);
      else if (text !== '' && key !== '') fields.attributes[key] = text;
    }
  }
  // The explicit attributes object wins over a top-level field of the same name.
  Object.assign(fields.attributes, explicitAttributes);
  return { fields, reasons };
}

/** Trimmed text of a scalar; '' for null/undefined/blank; null when the value is not a scalar. */
function scalarText(value: unknown): string | null {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  return null;
}
