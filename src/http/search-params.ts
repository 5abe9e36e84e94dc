import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import type { SearchFilter } from '../domain/search.js';
import { MAX_K } from '../search/search.service.js';

export const DEFAULT_K = 12;

const idList = z.array(z.string().min(1).max(512)).max(1000);
const stringOrList = z.union([z.string(), z.array(z.string())]).transform((v) =>
  (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0),
);
const finite = z.coerce.number().refine(Number.isFinite, 'must be a finite number');

const FilterSchema = z
  .object({
    category: stringOrList.optional(),
    brand: stringOrList.optional(),
    priceMin: finite.optional(),
    priceMax: finite.optional(),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  })
  .strict();

/** Slack on x + width ≤ 1 and y + height ≤ 1: a client's fractions (e.g. from pixel division) may round up a hair. */
const CROP_EPSILON = 1e-6;
const fraction = z.number().finite().min(0).max(1);

/** Region of the query photo to search for, as fractions (0..1) of its width and height. */
export const CropSchema = z
  .object({ x: fraction, y: fraction, width: fraction.gt(0), height: fraction.gt(0) })
  .strict()
  .refine((c) => c.x + c.width <= 1 + CROP_EPSILON, { message: 'x + width must not exceed 1', path: ['width'] })
  .refine((c) => c.y + c.height <= 1 + CROP_EPSILON, { message: 'y + height must not exceed 1', path: ['height'] })
  // Clamp the tolerated overshoot so the search service's own (stricter) check always passes.
  .transform((c) => ({ ...c, width: Math.min(c.width, 1 - c.x), height: Math.min(c.height, 1 - c.y) }));

/** Body of POST /api/v1/search (JSON) and the `params` field of its multipart form. */
export const SearchBodySchema = z
  .object({
    url: z.string().min(1).max(4096).optional(),
    productId: z.string().min(1).max(512).optional(),
    k: z.coerce.number().int().min(1).max(MAX_K).optional(),
    filter: FilterSchema.optional(),
    excludeIds: idList.optional(),
    notLikeIds: idList.optional(),
    /** Only with an uploaded image (multipart `params`) or a `url`: search for this region of the photo. */
    crop: CropSchema.optional(),
  })
  .strict();

export type SearchBody = z.infer<typeof SearchBodySchema>;

/** Query-string form used by GET endpoints: `k`, `category`, `brand`, `priceMin`, `priceMax`, `exclude`, `attr.<name>`. */
const QuerySchema = z.object({
  k: z.coerce.number().int().min(1).max(MAX_K).optional(),
  category: stringOrList.optional(),
  brand: stringOrList.optional(),
  priceMin: finite.optional(),
  priceMax: finite.optional(),
  exclude: stringOrList.optional(),
  notLike: stringOrList.optional(),
  offset: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  q: z.string().max(200).optional(),
});

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`);
    throw new AppError('INVALID_PARAMETER', `Invalid ${what}: ${problems.join('; ')}`, { details: { problems } });
  }
  return r.data;
}

export interface ParsedQuery {
  k: number;
  filter: SearchFilter;
  excludeIds: string[];
  notLikeIds: string[];
  offset: number;
  limit: number;
  q: string | undefined;
}

export function parseQueryString(query: Record<string, unknown>): ParsedQuery {
  const attributes: Record<string, string> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith('attr.')) attributes[key.slice(5)] = String(value);
    else rest[key] = value;
  }
  const q = parseWith(QuerySchema, rest, 'query string');
  const filter: SearchFilter = {};
  if (q.category?.length) filter.category = q.category;
  if (q.brand?.length) filter.brand = q.brand;
  if (q.priceMin !== undefined) filter.priceMin = q.priceMin;
  if (q.priceMax !== undefined) filter.priceMax = q.priceMax;
  if (Object.keys(attributes).length > 0) filter.attributes = attributes;
  return {
    k: q.k ?? DEFAULT_K, filter, excludeIds: q.exclude ?? [], notLikeIds: q.notLike ?? [],
    offset: q.offset ?? 0, limit: q.limit ?? 50, q: q.q,
  };
}

export function filterFromBody(body: SearchBody): SearchFilter {
  const f = body.filter ?? {};
  const filter: SearchFilter = {};
  if (f.category?.length) filter.category = f.category;
  if (f.brand?.length) filter.brand = f.brand;
  if (f.priceMin !== undefined) filter.priceMin = f.priceMin;
  if (f.priceMax !== undefined) filter.priceMax = f.priceMax;
  if (f.attributes && Object.keys(f.attributes).length > 0) filter.attributes = f.attributes;
  return filter;
}
