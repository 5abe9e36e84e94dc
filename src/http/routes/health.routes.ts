import type { FastifyInstance } from 'fastify';
import type { Shoplens } from '../../main.js';

export function healthRoutes(app: FastifyInstance, shoplens: Shoplens): void {
  app.get('/api/v1/health', { schema: { summary: 'Liveness and catalog size' } }, async () => {
    const stats = await shoplens.store.stats();
    const { name, version, dimensions, metric } = shoplens.extractor.identity;
    return { status: 'ok', products: stats.products, images: stats.images, extractor: { name, version, dimensions, metric } };
  });

  app.get('/api/v1/facets', { schema: { summary: 'Categories, brands and price range, for filter controls' } }, async () => {
    const s = await shoplens.store.stats();
    return { categories: s.categories, brands: s.brands, priceMin: s.priceMin, priceMax: s.priceMax };
  });
}
