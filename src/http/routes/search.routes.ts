import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { Shoplens } from '../../main.js';
import { insightsFor } from '../../insights/insights.js';
import { fetchImage } from '../../ingest/image-source.js';
import { exactMatchOf, type ImageQueryOptions, type LookupSearchHit, type LookupSearchResult } from '../../search/search.service.js';
import { toHitDTO } from '../dto.js';
import { DEFAULT_K, filterFromBody, parseQueryString, parseWith, SearchBodySchema, type SearchBody } from '../search-params.js';
import { z } from 'zod';
import { ErrorSchema, HitListSchema, SearchBodyJsonSchema, TextSearchBodyJsonSchema, TextSearchStatusSchema } from '../schemas.js';
import { MAX_TEXT_QUERY_LENGTH } from '../../features/text/text-embedder.js';

const MAX_NOT_LIKE_IMAGES = 5;

/** Body of POST /api/v1/search/text: the image search options without url/productId/crop, plus `text`. */
const TextSearchBodySchema = SearchBodySchema.omit({ url: true, productId: true, crop: true }).extend({
  text: z.string().trim().min(1).max(MAX_TEXT_QUERY_LENGTH),
});

export function searchRoutes(app: FastifyInstance, shoplens: Shoplens): void {
  textSearchRoutes(app, shoplens);
  app.post(
    '/api/v1/search',
    {
      schema: {
        summary: 'Search products by image (multipart upload), image URL or product id',
        description:
          'multipart/form-data: file field `image` (required), optional file fields `notLike` (images "not like this"), ' +
          'optional text field `params` holding the JSON options below (or plain fields k, category, brand, priceMin, priceMax). ' +
          'application/json: `url` or `productId` plus the same options. `crop` (fractions of the photo) restricts an uploaded ' +
          'image or a `url` to the shopper\'s selection. With product lookup ready, hits carry `match` and the response ' +
          '`exactMatch` (the id of the top hit when it is this exact product, else null).',
        consumes: ['multipart/form-data', 'application/json'],
        body: SearchBodyJsonSchema,
        response: { 200: HitListSchema, '4xx': ErrorSchema },
      },
      // Bodies are validated by zod in the handler (multipart bodies are not JSON): the schema documents them.
      validatorCompiler: () => () => true,
    },
    async (request) => {
      const started = performance.now();
      const result = request.isMultipart() ? await searchMultipart(request, shoplens) : await searchJson(request, shoplens);
      // Demand trends: the anonymous search log (top hits only; never the photo or the address).
      const kind = request.isMultipart() ? 'image' : (request.body as { url?: unknown }).url !== undefined ? 'url' : 'product';
      await insightsFor(shoplens).trends.record(kind, result.hits).catch((err: unknown) => request.log.warn({ err }, 'search log write failed'));
      const hits = result.hits as LookupSearchHit[];
      return {
        results: hits.map(toHitDTO),
        exactMatch: exactMatchOf(hits),
        subject: (result as LookupSearchResult).subject ?? null,
        tookMs: Math.round((performance.now() - started) * 100) / 100,
      };
    },
  );
}

function textSearchRoutes(app: FastifyInstance, shoplens: Shoplens): void {
  app.get(
    '/api/v1/search/text',
    { schema: { summary: 'Whether text search is available (the active extractor has a text tower)', response: { 200: TextSearchStatusSchema } } },
    async () => ({ available: shoplens.search.textSearchAvailable, extractor: shoplens.extractor.identity.name }),
  );

  app.post(
    '/api/v1/search/text',
    {
      schema: {
        summary: 'Search products by a text description (CLIP-class extractors only)',
        description:
          'JSON `{ text, k?, filter?, excludeIds?, notLikeIds? }`. The text is embedded by the active extractor\'s text tower into ' +
          'the space of the catalog\'s image vectors. Answers 409 TEXT_SEARCH_UNAVAILABLE when the extractor has no text tower ' +
          '(e.g. the default classic extractor): see GET /api/v1/search/text.',
        consumes: ['application/json'],
        body: TextSearchBodyJsonSchema,
        response: { 200: HitListSchema, '4xx': ErrorSchema },
      },
      validatorCompiler: () => () => true,
    },
    async (request) => {
      const started = performance.now();
      const body = parseWith(TextSearchBodySchema, request.body ?? {}, 'text search request');
      const result = await shoplens.search.searchByText(body.text, queryOptions(body));
      const hits = result.hits as LookupSearchHit[];
      return { results: hits.map(toHitDTO), exactMatch: null, subject: null, tookMs: Math.round((performance.now() - started) * 100) / 100 };
    },
  );
}

function queryOptions(body: Omit<SearchBody, 'crop'> & { crop?: SearchBody['crop'] }): ImageQueryOptions {
  return {
    k: body.k ?? DEFAULT_K,
    filter: filterFromBody(body),
    excludeIds: body.excludeIds ?? [],
    notLikeIds: body.notLikeIds ?? [],
    ...(body.crop ? { crop: body.crop } : {}),
  };
}

async function searchJson(request: FastifyRequest, shoplens: Shoplens) {
  if (request.body === undefined || request.body === null || typeof request.body !== 'object') {
    throw new AppError('INVALID_REQUEST', 'Send multipart/form-data with an `image` file, or a JSON object with `url` or `productId`');
  }
  const body = parseWith(SearchBodySchema, request.body, 'search request');
  if ((body.url === undefined) === (body.productId === undefined)) {
    throw new AppError('INVALID_PARAMETER', 'Give exactly one of `url` or `productId` (or upload an `image`)');
  }
  const options = queryOptions(body);
  if (body.crop && body.url === undefined) {
    throw new AppError('INVALID_PARAMETER', '`crop` applies to a photo: give it with `url` or an uploaded `image`, not with `productId`');
  }
  if (body.url !== undefined && body.crop) {
    // A crop needs the photo's pixels: fetch it with the same guards as searchByUrl, then search it as an upload.
    const { config } = shoplens;
    const bytes = await fetchImage(body.url, {
      maxBytes: config.maxImageBytes, timeoutMs: config.fetchTimeoutMs, allowPrivate: config.allowPrivateUrls,
    });
    return shoplens.search.searchByImage(bytes, options);
  }
  return body.url !== undefined
    ? shoplens.search.searchByUrl(body.url, options)
    : shoplens.search.similarTo(body.productId!, options);
}

async function searchMultipart(request: FastifyRequest, shoplens: Shoplens) {
  let image: Buffer | undefined;
  const notLike: Buffer[] = [];
  let params: Record<string, unknown> = {};
  const plain: Record<string, unknown> = {};
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (part.fieldname === 'image') {
        if (image) throw new AppError('INVALID_REQUEST', 'Upload exactly one `image` file');
        image = await part.toBuffer();
      } else if (part.fieldname === 'notLike') {
        if (notLike.length >= MAX_NOT_LIKE_IMAGES) {
          throw new AppError('INVALID_PARAMETER', `At most ${MAX_NOT_LIKE_IMAGES} notLike images`);
        }
        notLike.push(await part.toBuffer());
      } else {
        await part.toBuffer();
        throw new AppError('INVALID_REQUEST', `Unexpected file field "${part.fieldname}" (expected image or notLike)`);
      }
    } else if (part.fieldname === 'params') {
      try {
        params = JSON.parse(String(part.value)) as Record<string, unknown>;
      } catch (err) {
        throw new AppError('INVALID_PARAMETER', 'The `params` field must be a JSON object', { cause: err });
      }
      if (typeof params !== 'object' || params === null || Array.isArray(params)) {
        throw new AppError('INVALID_PARAMETER', 'The `params` field must be a JSON object');
      }
    } else {
      plain[part.fieldname] = part.value;
    }
  }
  if (!image) throw new AppError('INVALID_REQUEST', 'The multipart field `image` (a file) is required');
  const fromPlain = Object.keys(plain).length > 0 ? parseQueryString(plain) : undefined;
  const body = parseWith(SearchBodySchema, params, 'params');
  if (body.url !== undefined || body.productId !== undefined) {
    throw new AppError('INVALID_PARAMETER', 'With an uploaded image, `url` and `productId` are not allowed');
  }
  const options = queryOptions(body);
  if (fromPlain) {
    if (body.k === undefined && plain['k'] !== undefined) options.k = fromPlain.k;
    options.filter = { ...fromPlain.filter, ...options.filter };
    options.excludeIds = [...(options.excludeIds ?? []), ...fromPlain.excludeIds];
    options.notLikeIds = [...(options.notLikeIds ?? []), ...fromPlain.notLikeIds];
  }
  return shoplens.search.searchByImage(image, { ...options, notLikeImages: notLike });
}
