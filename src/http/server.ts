import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.js';
import { MediaStore } from '../catalog/media-store.js';
import type { Shoplens } from '../main.js';
import { errorHandler } from './error-mapping.js';
import { healthRoutes } from './routes/health.routes.js';
import { insightsRoutes } from './routes/insights.routes.js';
import { productRoutes } from './routes/products.routes.js';
import { searchRoutes } from './routes/search.routes.js';

export interface ServerOptions {
  /** Folder with the built web UI (index.html); defaults to <package>/web/dist. */
  webDir?: string;
  logger?: boolean;
}

export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

const MAX_UPLOAD_FILES = 6; // one query image + up to five "not like this" examples

/** Builds the HTTP app around an opened Shoplens. Nothing listens until `listen` is called. */
export async function buildServer(shoplens: Shoplens, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ? { level: shoplens.config.logLevel } : false,
    bodyLimit: 1024 * 1024, // JSON bodies are small; uploads go through multipart limits below
    genReqId: () => Math.random().toString(36).slice(2, 10),
  });
  app.setErrorHandler(errorHandler);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'shoplens API', version: '1', description: 'Visual product search: search by photo, similar items, catalog.' },
    },
  });
  await app.register(multipart, {
    limits: {
      fileSize: shoplens.config.maxImageBytes,
      files: MAX_UPLOAD_FILES,
      fields: 20,
      fieldSize: 64 * 1024,
      parts: 30,
    },
  });

  healthRoutes(app, shoplens);
  searchRoutes(app, shoplens);
  productRoutes(app, shoplens);
  insightsRoutes(app, shoplens);

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/media/:name', { schema: { hide: true } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const sha = name.replace(/\.jpg$/, '');
    if (!MediaStore.isValidName(sha) || !(await shoplens.media.has(sha))) {
      throw new AppError('NOT_FOUND', `No media ${name}`);
    }
    return reply
      .type('image/jpeg')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(createReadStream(shoplens.media.pathFor(sha)));
  });

  const webDir = options.webDir ?? DEFAULT_WEB_DIR;
  const hasUi = existsSync(path.join(webDir, 'index.html'));
  if (hasUi) await app.register(fastifyStatic, { root: webDir, wildcard: false, index: 'index.html' });

  // The UI routes on the client: unknown non-API GETs get index.html; unknown API paths get JSON.
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0] ?? '';
    if (hasUi && request.method === 'GET' && !url.startsWith('/api/') && !url.startsWith('/media/')) {
      return reply.type('text/html').sendFile('index.html');
    }
    return reply.status(404).send({ code: 'NOT_FOUND', message: `No route ${request.method} ${url}` });
  });
  return app;
}
