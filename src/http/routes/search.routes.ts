import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { Shoplens } from '../../main.js';
import { insightsFor } from '../../insights/insights.js';
import type { QueryOptions } from '../../search/search.service.js';
import { toHitDTO } from '../dto.js';
import { DEFAULT_K, filterFromBody, parseQueryString, parseWith, SearchBodySchema, type SearchBody } from '../search-params.js';
import { ErrorSchema, HitListSchema, SearchBodyJsonSchema } from '../schemas.js';

const MAX_NOT_LIKE_IMAGES = 5;

export function searchRoutes(app: FastifyInstance, shoplens: Shoplens): void {
  app.post(
    '/api/v1/search',
    {
      schema: {
        summary: 'Search products by image (multipart upload), image URL or product id',
        description:
          'multipart/form-data: file field `image` (required), optional file fields `notLike` (images "not like this"), ' +
          'optional text field `params` holding the JSON options below (or plain fields k, category, brand, priceMin, priceMax). ' +
          'application/json: `url` or `productId` plus the same options.',
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
      return { results: result.hits.map(toHitDTO), tookMs: Math.round((performance.now() - started) * 100) / 100 };
    },
  );
}

function queryOptions(body: SearchBody): QueryOptions {
  return {
    k: body.k ?? DEFAULT_K,
    filter: filterFromBody(body),
    excludeIds: body.excludeIds ?? [],
    notLikeIds: body.notLikeIds ?? [],
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
