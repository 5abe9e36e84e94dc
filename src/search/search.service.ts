import type { CatalogStore } from '../catalog/catalog-store.js';
import { AppError } from '../domain/errors.js';
import type { ProductImage } from '../domain/product.js';
import type { SearchFilter, SearchHit, SearchOptions, SearchResult } from '../domain/search.js';
import { distanceToScore, l2normalize } from '../domain/vector.js';
import type { FeatureExtractor } from '../features/feature-extractor.js';
import type { TextEmbedder } from '../features/text/text-embedder.js';
import type { ImageLimits, RgbImage } from '../imaging/types.js';
import type { IndexSync } from '../index/index-sync.js';
import type { Neighbor } from '../index/vector-index.js';
import { fetchImage } from '../ingest/image-source.js';
import { cosineSimilarity } from '../domain/vector.js';
import { decodeImage } from '../imaging/index.js';
import { hasCleanBackdrop } from '../imaging/backdrop.js';
import { cropImage, fractionToPixels, inCrop, isolateSubject, type FractionBox } from '../imaging/subject.js';
import { ANALYSIS_MAX_SIDE } from '../features/image-embedder.js';
import type { LookupService } from './lookup/lookup.service.js';
import { calibratedScore, CHANCE_EVIDENCE, lookupSettles, PRODUCT_SHOT_LOCAL_WEIGHT, SHOPPER_PHOTO_LOCAL_WEIGHT } from './lookup/calibration.js';

export const MAX_K = 200;

export interface SearchServiceOptions {
  limits: ImageLimits;
  fetchTimeoutMs: number;
  allowPrivateUrls: boolean;
  /** Text tower of the active extractor (CLIP-class models); without it, searchByText fails with TEXT_SEARCH_UNAVAILABLE. */
  text?: TextEmbedder | null;
}

/** Search options plus "not like this" examples: products and/or raw images. */
export interface QueryOptions extends SearchOptions {
  /** Products the shopper rejected: excluded, and the query is moved away from them. */
  notLikeIds?: string[];
  /** Images the shopper rejected (encoded bytes): the query is moved away from them. */
  notLikeImages?: Buffer[];
}

/** Options of an image query: a crop box restricts the query to the shopper's selection. */
export interface ImageQueryOptions extends QueryOptions {
  /** The region of the photo to search for, as fractions (0..1) of its width and height. */
  crop?: FractionBox;
}

/** Geometric evidence that the hit's image is in the query photo (product lookup). */
export interface HitMatch {
  /** True when the calibrated score is ≥ 0.5: this exact product, not just a similar one. */
  exact: boolean;
  inliers: number;
  /**
   * When a flat rectangular product was found by its colour layout: the share of the photo
   * rectangle's colours its layout explains (0..1). Such a match ranks but is never exact.
   */
  layout?: number;
  /**
   * When a flat drawing was found by its shape and colours: the share of the photo's colour
   * variance at the placed drawing's points its colours explain (0..1). Ranks but is never exact.
   */
  shape?: number;
  /**
   * When a coloured line drawing was found by its strokes: the share of its stroke points on the
   * stroke colour in the photo, less that of the points beside them (0..1). Ranks but is never exact.
   */
  outline?: number;
  /**
   * When the product's edges (LINE-2D templates) place it in the photo: the share of its
   * template's gradient orientations the photo shows there (0..1). Suggests, never ranks or claims:
   * see withEdgeSuggestions.
   */
  edges?: number;
  /** Where the product is in the query photo, as fractions (0..1) of its width and height. */
  box?: FractionBox;
}

export type LookupSearchHit = SearchHit & { match?: HitMatch };

/** The id of the top hit when lookup says it is this exact product, else null (the API's and CLI's `exactMatch`). */
export function exactMatchOf(hits: readonly (SearchHit | LookupSearchHit)[]): string | null {
  const top = hits[0];
  return top && 'match' in top && top.match?.exact ? top.product.id : null;
}
export interface LookupSearchResult extends SearchResult {
  hits: LookupSearchHit[];
  /**
   * The main subject of the photo (or of the shopper's box), as fractions of the photo, when the
   * global features described it alone (photoRegion): no clean backdrop, a subject that stands out.
   */
  subject?: FractionBox;
}

/** Weight of negative examples in Rocchio-style query refinement (q' = q − β·mean(negatives)). */
const NOT_LIKE_WEIGHT = 0.5;

/**
 * Finds products that look like a query: an uploaded image, an image URL, or a catalog product.
 * Hits are grouped by product (its best-matching image), filtered, and exclusions applied.
 */
export class SearchService {
  constructor(
    private readonly store: CatalogStore,
    private readonly extractor: FeatureExtractor,
    private readonly indexSync: IndexSync,
    private readonly options: SearchServiceOptions,
    /** Product lookup by local features; without it, image search is global-feature only. */
    private readonly lookup?: LookupService,
  ) {}

  /**
   * Search by encoded image bytes (an upload). The bytes are analysed in memory and never stored.
   * With product lookup ready, verified local matches are merged in: each hit then carries a
   * calibrated `score` (≥ 0.5 means exact match) and `match` with the inliers and the box.
   */
  async searchByImage(bytes: Buffer, options: ImageQueryOptions): Promise<LookupSearchResult> {
    const started = performance.now();
    if (options.crop) validateCrop(options.crop);
    const lookup = this.lookup;
    // The lookup's larger decode starts at once, beside the global features' (sharp decodes on
    // libuv's threads); a failure is reported by the global decode below, never unhandled.
    const photo = lookup?.ready ? decodeImage(bytes, this.options.limits, { maxSide: lookup.querySide }) : null;
    photo?.catch(() => undefined);
    // A crop keeps the full analysis size, so the shopper's selection still has the pixels it needs.
    const small = options.crop
      ? await decodeImage(bytes, this.options.limits, { maxSide: ANALYSIS_MAX_SIDE })
      : await this.decodeQuery(bytes);
    const { region, subject } = photoRegion(small, options.crop);
    if (!lookup?.ready) return withSubject(await this.run([await this.extractor.extract(region)], options, started), subject);
    validateOptions(options);
    const excluded = new Set<string>([...(options.excludeIds ?? []), ...(options.notLikeIds ?? [])]);
    // The global features (a worker thread) and the local lookup (this thread) run side by side.
    const [global, { pixels, matches }] = await Promise.all([
      // Global candidates (more than k, so a locally verified product can displace them).
      this.extractor.extract(region).then((vector) => this.run([vector], { ...options, k: Math.min(MAX_K, options.k + 20) }, started).then((r) => ({ ...r, vector }))),
      (async () => {
        const pixels = await (photo ?? decodeImage(bytes, this.options.limits, { maxSide: lookup.querySide }));
        const { accept } = await this.keyFilter(excluded, options.filter);
        return { pixels, matches: await lookup.lookup(pixels, options.crop, accept) };
      })(),
    ]);
    const vector = global.vector;
    const images = await this.store.getImages(matches.map((m) => m.key));
    const byProduct = new Map<string, { hit?: SearchHit; inliers: number; evidence: number; layout?: number; shape?: number; outline?: number; box?: FractionBox; cosine: number; image?: ProductImage }>();
    for (const h of global.hits) byProduct.set(h.product.id, { hit: h, inliers: 0, evidence: 0, cosine: h.score });
    // Products the edges suggest, best first (the lookup found nothing exact then).
    const suggested = new Map<string, number>();
    for (const m of [...matches].filter((x) => x.edges !== undefined).sort((a, b) => b.edgeScore! - a.edgeScore!)) {
      const image = images.get(m.key);
      if (image && !excluded.has(image.productId) && !suggested.has(image.productId)) suggested.set(image.productId, m.edges!);
    }
    for (const m of matches) {
      const image = images.get(m.key);
      if (!image || excluded.has(image.productId)) continue;
      const entry = byProduct.get(image.productId);
      if (entry && entry.evidence >= m.evidence) continue;
      if (entry) Object.assign(entry, { inliers: m.inliers, evidence: m.evidence, layout: m.layout, shape: m.shape, outline: m.outline, box: m.box, image });
      else byProduct.set(image.productId, { inliers: m.inliers, evidence: m.evidence, layout: m.layout, shape: m.shape, outline: m.outline, cosine: -1, image, ...(m.box ? { box: m.box } : {}) });
    }
    // Products only the lookup found are listed when their evidence is above chance: a chance-level
    // match is neither verified nor globally similar, and costs a stored-vector read (and, under a
    // catalog adaptation, a projection) for its cosine.
    const missing = [...byProduct.entries()].filter(([id, e]) => !e.hit && (e.evidence > CHANCE_EVIDENCE || suggested.has(id)));
    const products = new Map((await this.store.getProducts(missing.map(([id]) => id))).map((p) => [p.id, p]));
    const metric = this.extractor.identity.metric;
    // A product shot (an image made for a catalogue: a clean backdrop) that the lookup leaves open
    // is ranked by its global features below exact.
    const productShot = metric === 'cosine' && !lookupSettles([...byProduct.values()].map((e) => e.evidence), lookup.exactInliers) &&
      hasCleanBackdrop(options.crop ? cropImage(pixels, fractionToPixels(options.crop, pixels.width, pixels.height)) : pixels);
    const localWeight = productShot ? PRODUCT_SHOT_LOCAL_WEIGHT : SHOPPER_PHOTO_LOCAL_WEIGHT;
    const hits: LookupSearchHit[] = [];
    for (const [id, e] of byProduct) {
      let hit = e.hit;
      if (!hit) {
        const product = products.get(id);
        if (!product || !e.image) continue;
        const stored = (await this.store.getProductVectors(id)).find((v) => v.key === e.image!.key);
        const cosine = stored ? cosineSimilarity(vector, stored.vector) : 0;
        e.cosine = metric === 'cosine' ? cosine : 0;
        hit = { product, distance: 1 - cosine, score: e.cosine, matchedImage: e.image };
      }
      // Coverage-discounted inliers: a shared part of another product does not make it "exact".
      const score = calibratedScore(e.evidence, e.cosine, lookup.exactInliers, localWeight);
      const edges = suggested.get(id);
      const match: HitMatch = { exact: score >= 0.5, inliers: e.inliers, ...(e.layout !== undefined ? { layout: e.layout } : {}), ...(e.shape !== undefined ? { shape: e.shape } : {}), ...(e.outline !== undefined ? { outline: e.outline } : {}), ...(edges !== undefined ? { edges } : {}), ...(e.box ? { box: e.box } : {}) };
      hits.push({ ...hit, ...(e.image && (e.inliers > 0 || e.layout !== undefined || e.shape !== undefined || e.outline !== undefined || edges !== undefined) ? { matchedImage: e.image } : {}), score, match });
    }
    hits.sort((a, b) => b.score - a.score);
    return withSubject({ hits: withEdgeSuggestions(hits, [...suggested.keys()]).slice(0, options.k), tookMs: performance.now() - started }, subject);
  }

  /** Search by an http(s) image URL, fetched with the size limit, a timeout and the private-address guard. */
  async searchByUrl(url: string, options: QueryOptions): Promise<LookupSearchResult> {
    const started = performance.now();
    // fetchImage (not loadImageBytes): a shopper's "URL" must never be read as a local file path.
    const bytes = await fetchImage(url, {
      maxBytes: this.options.limits.maxBytes,
      timeoutMs: this.options.fetchTimeoutMs,
      allowPrivate: this.options.allowPrivateUrls,
    });
    const { vector, subject } = await this.embedPhoto(bytes);
    return withSubject(await this.run([vector], options, started), subject);
  }

  /** True when the active extractor can embed text queries. */
  get textSearchAvailable(): boolean {
    return Boolean(this.options.text);
  }

  /**
   * Search by a text description ("red running shoes"), embedded by the extractor's text tower
   * into the same space as the catalog's image vectors.
   */
  async searchByText(text: string, options: QueryOptions): Promise<SearchResult> {
    const started = performance.now();
    const embedder = this.options.text;
    if (!embedder) {
      throw new AppError(
        'TEXT_SEARCH_UNAVAILABLE',
        `Text search needs an extractor with a text tower (e.g. SHOPLENS_EXTRACTOR=onnx:clip-vit-b32); the active one is ${this.extractor.identity.name}`,
        { details: { extractor: this.extractor.identity.name } },
      );
    }
    validateOptions(options);
    const vector = await embedder.embed(text);
    return this.run([vector], options, started);
  }

  /** Products similar to a catalog product (every image of it is a query); the product itself is excluded. */
  async similarTo(productId: string, options: QueryOptions): Promise<SearchResult> {
    const started = performance.now();
    const vectors = await this.store.getProductVectors(productId);
    if (vectors.length === 0) {
      throw new AppError('PRODUCT_NOT_FOUND', `No product with id "${productId}"`, { details: { id: productId } });
    }
    const excludeIds = [...(options.excludeIds ?? []), productId];
    return this.run(vectors.map((v) => v.vector), { ...options, excludeIds }, started);
  }

  private async run(queries: Float32Array[], options: QueryOptions, started: number): Promise<SearchResult> {
    validateOptions(options);
    await this.indexSync.refresh();
    const index = this.indexSync.index;

    const excluded = new Set<string>([...(options.excludeIds ?? []), ...(options.notLikeIds ?? [])]);
    const negatives = await this.negativeVectors(options);
    const refined = negatives.length > 0 ? queries.map((q) => refine(q, negatives)) : queries;

    const { accept, none } = await this.keyFilter(excluded, options.filter);
    if (none) return { hits: [], tookMs: performance.now() - started };

    // Several images can belong to one product: over-fetch image neighbours until k products are found.
    const best = new Map<string, { neighbor: Neighbor; image: ProductImage }>();
    let fetch = Math.min(options.k * 3 + 10, Math.max(index.size(), 1));
    for (;;) {
      const neighbors = mergeNeighbors(refined.map((q) => index.search(q, fetch, accept)));
      const images = await this.store.getImages(neighbors.map((n) => n.key));
      best.clear();
      for (const n of neighbors) {
        const image = images.get(n.key);
        if (!image || excluded.has(image.productId)) continue;
        const prev = best.get(image.productId);
        if (!prev || n.distance < prev.neighbor.distance) best.set(image.productId, { neighbor: n, image });
      }
      if (best.size >= options.k || fetch >= index.size() || neighbors.length < fetch) break;
      fetch = Math.min(fetch * 4, index.size());
    }

    const ranked = [...best.values()].sort((a, b) => a.neighbor.distance - b.neighbor.distance).slice(0, options.k);
    const products = new Map((await this.store.getProducts(ranked.map((r) => r.image.productId))).map((p) => [p.id, p]));
    const metric = this.extractor.identity.metric;
    const hits: SearchHit[] = ranked.flatMap((r) => {
      const product = products.get(r.image.productId);
      return product
        ? [{ product, distance: r.neighbor.distance, score: distanceToScore(metric, r.neighbor.distance), matchedImage: r.image }]
        : [];
    });
    return { hits, tookMs: performance.now() - started };
  }

  private async negativeVectors(options: QueryOptions): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const id of options.notLikeIds ?? []) {
      const vs = await this.store.getProductVectors(id);
      if (vs.length === 0) throw new AppError('PRODUCT_NOT_FOUND', `notLikeIds: no product with id "${id}"`, { details: { id } });
      out.push(...vs.map((v) => v.vector));
    }
    for (const bytes of options.notLikeImages ?? []) {
      out.push((await this.embedPhoto(bytes)).vector);
    }
    return out;
  }

  /**
   * Decodes a shopper's image only as large as the extractor needs (its queryDecodeSide): a large
   * photo then shrinks on load (default extractor, 640×480 JPEG: ~3.5 ms less CPU per query).
   * Images no larger than the catalog's analysis size are decoded exactly as ingest decodes them.
   */
  private decodeQuery(bytes: Buffer): Promise<RgbImage> {
    const largeImageSide = this.extractor.queryDecodeSide;
    return decodeImage(bytes, this.options.limits, { maxSide: ANALYSIS_MAX_SIDE, largeImageSide });
  }

  /** The global features of a photo (a URL's, a "not like this" image): of its main subject when it has one (photoRegion). */
  private async embedPhoto(bytes: Buffer): Promise<{ vector: Float32Array; subject?: FractionBox }> {
    const { region, subject } = photoRegion(await this.decodeQuery(bytes));
    return { vector: await this.extractor.extract(region), ...(subject ? { subject } : {}) };
  }

  /**
   * The catalogue image keys a query may return: those the filter allows, less the excluded
   * products' images. `accept` is undefined when every key may be returned (no work per key), and
   * `none` is true when the filter allows no key at all.
   */
  private async keyFilter(excluded: ReadonlySet<string>, filter: SearchFilter | undefined): Promise<{ accept?: (key: number) => boolean; none: boolean }> {
    const excludedKeys = await this.keysOf([...excluded]);
    const allowed = hasFilter(filter) ? await this.store.filterKeys(filter!) : null;
    if (!allowed && excludedKeys.size === 0) return { none: false };
    return { accept: (key) => (allowed ? allowed.has(key) : true) && !excludedKeys.has(key), none: allowed?.size === 0 };
  }

  private async keysOf(productIds: string[]): Promise<Set<number>> {
    const keys = new Set<number>();
    for (const id of productIds) for (const v of await this.store.getProductVectors(id)) keys.add(v.key);
    return keys;
  }
}

/**
 * The part of a shopper's photo the global features describe: unless the photo is a product shot (a
 * clean backdrop, as a catalogue image has), the main subject of the photo, or of the shopper's box,
 * cut out on white (isolateSubject), as the catalogue shows products; else the box, or the whole
 * photo. Whole-image features of a phone photo describe mostly the table: on photos of the demo
 * catalogue's products on a plain or wooden table (bench/features/table-photos.ts), the right
 * product came first for 0.7% of them on the whole photo and for 83% on its subject; within a box
 * around the product (its subject box grown by a fifth), for 64% as it is and 89% cut out.
 */
function photoRegion(photo: RgbImage, crop?: FractionBox): { region: RgbImage; subject?: FractionBox } {
  const region = crop ? cropImage(photo, fractionToPixels(crop, photo.width, photo.height)) : photo;
  if (hasCleanBackdrop(photo)) return { region };
  const subject = isolateSubject(region);
  if (!subject) return { region };
  return { region: subject.image, subject: crop ? inCrop(subject.box, crop) : subject.box };
}

/** A result with the photo's subject when one was described (photoRegion). */
/**
 * The hits with the products the edges suggest (`suggested`, best first) placed after the first
 * SUGGEST_AFTER, unless they are among those already: when nothing is exact, the ranking's first
 * places stay as they are, and the next ones show what the product's outline alone finds — line
 * drawings, outlines and see-through products that keypoints, colours and shapes miss. Tuning
 * sets (seven, 2,100 photos at 1k, bench/lookup/README.md session 27): right product in the first
 * 10 2070 → 2079, first unchanged (2041), none pushed out of the first 10. With an exact first
 * hit the lookup suggests nothing, and the order is the ranking's.
 */
export function withEdgeSuggestions<T extends { product: { id: string }; score: number }>(hits: readonly T[], suggested: readonly string[]): T[] {
  if (suggested.length === 0 || (hits[0]?.score ?? 0) >= 0.5) return [...hits];
  const head = hits.slice(0, SUGGEST_AFTER);
  const inHead = new Set(head.map((h) => h.product.id));
  const byId = new Map(hits.map((h) => [h.product.id, h]));
  const moved = [...new Set(suggested)].filter((id) => !inHead.has(id) && byId.has(id)).map((id) => byId.get(id)!);
  const movedIds = new Set(moved.map((h) => h.product.id));
  return [...head, ...moved, ...hits.slice(SUGGEST_AFTER).filter((h) => !movedIds.has(h.product.id))];
}
const SUGGEST_AFTER = 5;

function withSubject<T extends SearchResult>(result: T, subject: FractionBox | undefined): T & { subject?: FractionBox } {
  return subject ? { ...result, subject } : result;
}

/** Rocchio negative feedback: move the query away from the mean of the rejected examples. */
function refine(query: Float32Array, negatives: Float32Array[]): Float32Array {
  const out = Float32Array.from(query);
  const w = NOT_LIKE_WEIGHT / negatives.length;
  for (const n of negatives) for (let i = 0; i < out.length; i++) out[i]! -= w * n[i]!;
  return l2normalize(out);
}

/** Union of several neighbour lists keeping each key's smallest distance, nearest first. */
function mergeNeighbors(lists: Neighbor[][]): Neighbor[] {
  if (lists.length === 1) return lists[0]!;
  const byKey = new Map<number, number>();
  for (const list of lists) for (const n of list) {
    const d = byKey.get(n.key);
    if (d === undefined || n.distance < d) byKey.set(n.key, n.distance);
  }
  return [...byKey.entries()].map(([key, distance]) => ({ key, distance })).sort((a, b) => a.distance - b.distance);
}

function hasFilter(f: SearchFilter | undefined): boolean {
  if (!f) return false;
  return Boolean(
    f.category?.length || f.brand?.length || f.priceMin !== undefined || f.priceMax !== undefined ||
      (f.attributes && Object.keys(f.attributes).length > 0),
  );
}

function validateCrop(c: FractionBox): void {
  const ok = [c.x, c.y, c.width, c.height].every((v) => Number.isFinite(v)) &&
    c.x >= 0 && c.y >= 0 && c.width > 0 && c.height > 0 && c.x + c.width <= 1 + 1e-9 && c.y + c.height <= 1 + 1e-9;
  if (!ok) throw new AppError('INVALID_PARAMETER', 'crop must be fractions of the image: 0 ≤ x, y; 0 < width, height; x + width ≤ 1; y + height ≤ 1', { details: { ...c } });
}

function validateOptions(o: QueryOptions): void {
  if (!Number.isInteger(o.k) || o.k < 1 || o.k > MAX_K) {
    throw new AppError('INVALID_PARAMETER', `k must be an integer from 1 to ${MAX_K}`, { details: { k: o.k } });
  }
  const f = o.filter;
  if (f?.priceMin !== undefined && f.priceMax !== undefined && f.priceMin > f.priceMax) {
    throw new AppError('INVALID_PARAMETER', 'priceMin must not exceed priceMax', { details: { priceMin: f.priceMin, priceMax: f.priceMax } });
  }
  for (const v of [f?.priceMin, f?.priceMax]) {
    if (v !== undefined && !Number.isFinite(v)) throw new AppError('INVALID_PARAMETER', 'price bounds must be numbers');
  }
}
