/**
 * Typed client for the shoplens HTTP API v1. Every failure becomes an ApiError carrying the
 * server's stable `code`, so the UI can show (and tests can assert) the same code the API sends.
 */

// The wire types are the server's own (type-only import: nothing from src/ reaches the bundle).
import type { HitDTO, ImageDTO, MatchDTO, ProductDTO } from '../../src/http/dto.js';
import type { FractionBox } from '../../src/imaging/subject.js';

export type { FractionBox, HitDTO, ImageDTO, MatchDTO, ProductDTO };

export interface SearchResponse {
  results: HitDTO[];
  /** Id of the top hit when it is this exact product (older servers leave it out). */
  exactMatch?: string | null;
  /** Photo searches: the main subject (of the photo or of the crop) the image features described (null: none was cut out). */
  subject?: FractionBox | null;
  tookMs: number;
}

export interface FacetCount {
  name: string;
  count: number;
}

export interface FacetsDTO {
  categories: FacetCount[];
  brands: FacetCount[];
  priceMin: number | null;
  priceMax: number | null;
}

export interface ProductList {
  items: ProductDTO[];
  total: number;
}

export interface SearchFilter {
  category?: string[];
  brand?: string[];
  priceMin?: number;
  priceMax?: number;
}

export interface SearchParams {
  k: number;
  filter: SearchFilter;
  notLikeIds: string[];
  /** Search only this part of the photo. */
  crop?: FractionBox | null;
}

/** What the shopper searches with. */
export type SearchQuery = { kind: 'file'; file: File } | { kind: 'url'; url: string } | { kind: 'text'; text: string };

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError('NETWORK_ERROR', 'Could not reach the shoplens server. Is it running?', 0);
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // A proxy or crash page instead of our JSON: report the status below.
  }
  if (!res.ok) {
    const err = body as { code?: unknown; message?: unknown } | null;
    const code = typeof err?.code === 'string' ? err.code : `HTTP_${res.status}`;
    const message = typeof err?.message === 'string' ? err.message : res.statusText || 'Request failed';
    throw new ApiError(code, message, res.status);
  }
  return body as T;
}

function filterQuery(filter: SearchFilter, extra: Record<string, string | number> = {}): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(extra)) q.set(key, String(value));
  for (const c of filter.category ?? []) q.append('category', c);
  for (const b of filter.brand ?? []) q.append('brand', b);
  if (filter.priceMin !== undefined) q.set('priceMin', String(filter.priceMin));
  if (filter.priceMax !== undefined) q.set('priceMax', String(filter.priceMax));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function searchBody(params: SearchParams): Record<string, unknown> {
  const body: Record<string, unknown> = { k: params.k, filter: params.filter };
  if (params.notLikeIds.length > 0) body.notLikeIds = params.notLikeIds;
  if (params.crop) body.crop = params.crop;
  return body;
}

export function searchByImage(query: SearchQuery, params: SearchParams, signal?: AbortSignal): Promise<SearchResponse> {
  if (query.kind === 'text') {
    // A text query has no photo: the crop does not apply.
    const { crop: _crop, ...rest } = searchBody(params);
    return request<SearchResponse>('/api/v1/search/text', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: query.text, ...rest }),
      signal,
    });
  }
  if (query.kind === 'url') {
    return request<SearchResponse>('/api/v1/search', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: query.url, ...searchBody(params) }),
      signal,
    });
  }
  const form = new FormData();
  form.append('params', JSON.stringify(searchBody(params)));
  // The file goes last so a streaming server has read the params before the bytes arrive.
  form.append('image', query.file, query.file.name || 'upload');
  return request<SearchResponse>('/api/v1/search', { method: 'POST', body: form, signal });
}

/** Whether the server's extractor can search by text (a CLIP-class model); the UI hides the text box otherwise. */
export async function getTextSearchAvailable(): Promise<boolean> {
  try {
    return (await request<{ available: boolean }>('/api/v1/search/text')).available;
  } catch {
    return false;
  }
}

let facetsPromise: Promise<FacetsDTO> | null = null;

/** Facets change only on ingest: fetch once per page load (retried after a failure). */
export function getFacets(): Promise<FacetsDTO> {
  facetsPromise ??= request<FacetsDTO>('/api/v1/facets').catch((err: unknown) => {
    facetsPromise = null;
    throw err;
  });
  return facetsPromise;
}

export function listProducts(
  options: { offset: number; limit: number; filter: SearchFilter },
  signal?: AbortSignal,
): Promise<ProductList> {
  const qs = filterQuery(options.filter, { offset: options.offset, limit: options.limit });
  return request<ProductList>(`/api/v1/products${qs}`, { signal });
}

export function getProduct(id: string, signal?: AbortSignal): Promise<ProductDTO> {
  return request<ProductDTO>(`/api/v1/products/${encodeURIComponent(id)}`, { signal });
}

export function getSimilar(id: string, k: number, signal?: AbortSignal): Promise<SearchResponse> {
  return request<SearchResponse>(`/api/v1/products/${encodeURIComponent(id)}/similar?k=${k}`, { signal });
}

// --- Insights (catalog intelligence) ---------------------------------------------------------

export interface ClusterDTO {
  id: number;
  images: number;
  products: number;
  share: number;
  representatives: { productId: string; title: string; imageKey: number; url: string }[];
  dominantColors: { hex: string; share: number }[];
  categories: { name: string | null; count: number }[];
  x: number;
  y: number;
}

export interface ClusteringDTO {
  k: number;
  chosenBy: string;
  method: string;
  images: number;
  products: number;
  createdAt: string;
  clusters: ClusterDTO[];
}

export interface MapPointDTO {
  key: number;
  productId: string;
  cluster: number;
  x: number;
  y: number;
}

export interface DuplicateGroupDTO {
  id: number;
  kind: 'exact' | 'near';
  keep: string;
  products: { id: string; title: string; category: string | null; width: number; height: number; url: string | null }[];
  evidence: { a: string; b: string; kind: string; distance?: number; hamming?: number }[];
}

export interface TrendsDTO {
  enabled: boolean;
  report: {
    from: string;
    to: string;
    searches: number;
    perPeriod: { period: string; searches: number }[];
    clusters: { cluster: number; searches: number; searchShare: number; catalogShare: number; ratio: number | null }[];
    underSupplied: number[];
    topProducts: { productId: string; top1: number; appearances: number }[];
  };
}

export function getClusters(signal?: AbortSignal): Promise<{ report: ClusteringDTO | null }> {
  return request(`/api/v1/insights/clusters`, { signal });
}

export function getClusterMap(limit: number, signal?: AbortSignal): Promise<{ points: MapPointDTO[] }> {
  return request(`/api/v1/insights/clusters/map?limit=${limit}`, { signal });
}

export function getDuplicates(signal?: AbortSignal): Promise<{ report: { groups: DuplicateGroupDTO[]; createdAt: string } | null }> {
  return request(`/api/v1/insights/duplicates`, { signal });
}

export function getTrends(period: 'day' | 'week' | 'month', signal?: AbortSignal): Promise<TrendsDTO> {
  return request(`/api/v1/insights/trends?period=${period}`, { signal });
}
