import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { Shoplens } from '../../main.js';
import { toHitDTO, toProductDTO } from '../dto.js';
import { ErrorSchema, FilterQuerySchema, HitListSchema, ProductListSchema, ProductSchema } from '../schemas.js';
import { parseQueryString } from '../search-params.js';

const IdParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
// Query strings are validated by zod (parseQueryString); the JSON Schema documents them.
const noValidation = { validatorCompiler: () => () => true };

export function productRoutes(app: FastifyInstance, shoplens: Shoplens): void {
  app.get(
    '/api/v1/products',
    {
      ...noValidation,
      schema: {
        summary: 'List products (paged), optionally filtered or matched by text on id/title/brand',
        querystring: { ...FilterQuerySchema, properties: { ...FilterQuerySchema.properties, offset: { type: 'integer' }, limit: { type: 'integer' }, q: { type: 'string' } } },
        response: { 200: ProductListSchema, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const q = parseQueryString(request.query as Record<string, unknown>);
      const { items, total } = await shoplens.store.listProducts({ offset: q.offset, limit: q.limit, filter: q.filter, ...(q.q ? { query: q.q } : {}) });
      return { items: items.map(toProductDTO), total };
    },
  );

  app.get(
    '/api/v1/products/:id',
    { schema: { summary: 'Read one product', params: IdParams, response: { 200: ProductSchema, '4xx': ErrorSchema } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const product = await shoplens.store.getProduct(id);
      if (!product) throw new AppError('PRODUCT_NOT_FOUND', `No product with id "${id}"`, { details: { id } });
      return toProductDTO(product);
    },
  );

  app.delete(
    '/api/v1/products/:id',
    {
      schema: {
        summary: 'Delete a product with its images and vectors (needs the admin token when one is configured)',
        params: IdParams,
        response: { 200: { type: 'object', properties: { deleted: { type: 'array', items: { type: 'string' } } } }, '4xx': ErrorSchema },
      },
      preHandler: async (request: FastifyRequest) => requireAdmin(shoplens, request),
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const deleted = await shoplens.ingest.delete([id]);
      if (deleted === 0) throw new AppError('PRODUCT_NOT_FOUND', `No product with id "${id}"`, { details: { id } });
      return { deleted: [id] };
    },
  );

  app.get(
    '/api/v1/products/:id/similar',
    {
      ...noValidation,
      schema: {
        summary: 'Products that look like this one',
        params: IdParams,
        querystring: FilterQuerySchema,
        response: { 200: HitListSchema, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const q = parseQueryString(request.query as Record<string, unknown>);
      const started = performance.now();
      const result = await shoplens.search.similarTo(id, { k: q.k, filter: q.filter, excludeIds: q.excludeIds, notLikeIds: q.notLikeIds });
      return { results: result.hits.map(toHitDTO), tookMs: Math.round((performance.now() - started) * 100) / 100 };
    },
  );
}

function requireAdmin(shoplens: Shoplens, request: FastifyRequest): void {
  const token = shoplens.config.adminToken;
  if (token && request.headers.authorization !== `Bearer ${token}`) {
    throw new AppError('UNAUTHORIZED', 'This endpoint needs `Authorization: Bearer <admin token>`');
  }
}
