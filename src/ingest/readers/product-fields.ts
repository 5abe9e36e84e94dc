import path from 'node:path';
import { badRow, type CatalogRow } from './catalog-row.js';
import type { ProductInput } from '../../domain/product.js';

/** Catalog columns with a meaning of their own; anything else becomes an attribute. */
export const IMAGE_FIELD_ALIASES = ['image', 'images', 'image_url', 'image_path'] as const;
export const KNOWN_FIELDS = new Set<string>(['id', 'title', 'brand', 'category', 'price', 'currency', ...IMAGE_FIELD_ALIASES]);

/** Field values as a reader extracted them, before validation. Text is already trimmed. */
export interface RawProductFields {
  id?: string;
  title?: string;
  brand?: string;
  category?: string;
  /** Text from CSV, number or text from JSON. */
  price?: string | number;
  currency?: string;
  /** Image locations as written in the catalog (not yet resolved). */
  images: string[];
  attributes: Record<string, string>;
}

export type FieldsResult = { ok: true; product: ProductInput } | { ok: false; id?: string; reason: string };

const PLAIN_DECIMAL = /^\d+(?:\.\d+)?$/;
/** Thousands separators only together with a decimal point: "1,299.00" is clear, "1,299" is not. */
const GROUPED_DECIMAL = /^\d{1,3}(?:,\d{3})+\.\d+$/;

/**
 * Parses a price. Accepted: non-negative plain decimals ("12", "12.50") and comma-grouped
 * thousands with a decimal point ("1,299.00"). Rejected as ambiguous or wrong: "1,299"
 * (1299 or 1.299?), "12,50", currency symbols, exponents, negatives, NaN/Infinity.
 */
export function parsePrice(value: string | number): { ok: true; price: number } | { ok: false; reason: string } {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0
      ? { ok: true, price: value }
      : { ok: false, reason: `bad price ${String(value)}: must be a non-negative number` };
  }
  const s = value.trim();
  if (PLAIN_DECIMAL.test(s)) return { ok: true, price: Number(s) };
  if (GROUPED_DECIMAL.test(s)) return { ok: true, price: Number(s.replaceAll(',', '')) };
  if (/^\d{1,3}(?:,\d{3})+$/.test(s)) {
    return { ok: false, reason: `bad price "${s}": ambiguous thousands/decimal separator, write 1299 or 1,299.00` };
  }
  return { ok: false, reason: `bad price "${s}": expected a non-negative decimal number such as 12.50` };
}

/**
 * Resolves one image location: http(s) URLs are kept as written, paths become absolute
 * (relative ones against the catalog's directory). Other schemes (file:, ftp:, data:, ...)
 * are refused: a catalog must not make the server read arbitrary local files by URL or carry
 * inline payloads. A scheme needs two or more letters, so a Windows drive ("C:\") is a path.
 */
export function resolveImageLocation(location: string, baseDir: string): { ok: true; value: string } | { ok: false; reason: string } {
  const s = location.trim();
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(s)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (scheme !== 'http' && scheme !== 'https') {
      return { ok: false, reason: `unsupported image location "${abbreviate(s)}": only http(s) URLs and file paths are allowed` };
    }
    try {
      const url = new URL(s);
      if (!url.hostname) throw new Error('no host');
    } catch {
      return { ok: false, reason: `invalid image URL "${abbreviate(s)}"` };
    }
    return { ok: true, value: s };
  }
  return { ok: true, value: path.resolve(baseDir, s) };
}

/** Splits a `|`-separated image list, dropping empty entries. */
export function splitImageList(value: string): string[] {
  return value.split('|').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Validates extracted fields into a ProductInput. Every problem in the row is reported (joined
 * with "; "), so a merchant fixes a row once rather than once per problem.
 */
export function toProductInput(raw: RawProductFields, baseDir: string): FieldsResult {
  const reasons: string[] = [];
  const id = raw.id ?? '';
  const title = raw.title ?? '';
  if (!id) reasons.push('missing id');
  if (!title) reasons.push('missing title');

  const images: string[] = [];
  if (raw.images.length === 0) reasons.push('no image');
  for (const loc of raw.images) {
    const r = resolveImageLocation(loc, baseDir);
    if (!r.ok) reasons.push(r.reason);
    else if (!images.includes(r.value)) images.push(r.value); // the same image twice is one image
  }

  let price: number | null = null;
  if (raw.price !== undefined && raw.price !== '') {
    const r = parsePrice(raw.price);
    if (r.ok) price = r.price;
    else reasons.push(r.reason);
  }

  let currency: string | null = null;
  if (raw.currency) {
    if (/^[a-zA-Z]{3}$/.test(raw.currency)) currency = raw.currency.toUpperCase();
    else reasons.push(`bad currency "${abbreviate(raw.currency)}": expected a 3-letter ISO 4217 code such as EUR`);
  }

  if (reasons.length > 0) return id ? { ok: false, id, reason: reasons.join('; ') } : { ok: false, reason: reasons.join('; ') };
  return {
    ok: true,
    product: {
      id,
      title,
      brand: raw.brand || null,
      category: raw.category || null,
      price,
      currency,
      attributes: raw.attributes,
      images,
    },
  };
}

/** Attribute names compare case-insensitively, like column names: stored lower-cased. */
export function attributeName(name: string): string {
  return name.trim().toLowerCase();
}

function abbreviate(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Turns a validation result into a CatalogRow, enforcing unique ids within one catalog: the
 * first accepted row with an id wins, later ones are bad rows. Only accepted rows claim an id,
 * so a rejected row never blocks a valid definition of the same product.
 */
export function toCatalogRow(row: number, result: FieldsResult, acceptedIds: Set<string>): CatalogRow {
  if (!result.ok) return badRow(row, result.reason, result.id);
  const { id } = result.product;
  if (acceptedIds.has(id)) return badRow(row, `duplicate id "${id}": already defined by an earlier row`, id);
  acceptedIds.add(id);
  return { row, ok: true, product: result.product };
}
