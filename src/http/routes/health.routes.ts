import type { FastifyInstance } from 'fastify';
import type { CatalogStats } from '../../catalog/catalog-store.js';
import { orbEngine } from '../../features/local/opencv.js';
import { lineEngine } from '../../search/lookup/lines.js';
import type { Shoplens } from '../../main.js';

export function healthRoutes(app: FastifyInstance, shoplens: Shoplens): void {
  // Catalog statistics aggregate every product (counts, GROUP BY category and brand): milliseconds
  // at 10k products, more at 100k. They change only when the store version does, which is one
  // indexed read, so liveness probes and facet requests reuse them until then.
  let cached: { version: number; stats: Promise<CatalogStats> } | null = null;
  const stats = async (): Promise<CatalogStats> => {
    const version = await shoplens.store.getVersion();
    if (cached?.version !== version) {
      const entry = { version, stats: shoplens.store.stats() };
      cached = entry;
      entry.stats.catch(() => {
        if (cached === entry) cached = null; // a failed read is not remembered
      });
    }
    return cached.stats;
  };

  app.get('/api/v1/health', { schema: { summary: 'Liveness, catalog size, extractor and product lookup state' } }, async () => {
    const s = await stats();
    const { name, version, dimensions, metric } = shoplens.extractor.identity;
    // Product lookup: null when off; `ready` once its vocabulary is trained; which ORB it runs on, and what finds products by their edges.
    const lookup = shoplens.lookup ? { ready: shoplens.lookup.ready, keypoints: orbEngine(), edges: lineEngine() } : null;
    return { status: 'ok', products: s.products, images: s.images, extractor: { name, version, dimensions, metric }, lookup };
  });

  app.get('/api/v1/facets', { schema: { summary: 'Categories, brands and price range, for filter controls' } }, async () => {
    const s = await stats();
    return { categories: s.categories, brands: s.brands, priceMin: s.priceMin, priceMax: s.priceMax };
  });
}
