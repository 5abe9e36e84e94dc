import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { ClassifierMethod } from '../../insights/classification.service.js';
import type { ClusteringReport } from '../../insights/clustering.service.js';
import type { DuplicateReport } from '../../insights/duplicates.service.js';
import { insightsFor } from '../../insights/insights.js';
import { trendsToCsv, type Period } from '../../insights/trends.service.js';
import type { Shoplens } from '../../main.js';
import { mediaUrl } from '../dto.js';
import { parseWith } from '../search-params.js';

const noValidation = { validatorCompiler: () => () => true };

const ClusterBody = z.object({ k: z.number().int().min(1).max(200).optional(), seed: z.number().int().optional() }).strict();
const ClassifyBody = z.object({ method: z.enum(['svm-linear', 'svm-rbf', 'knn']).optional(), pcaComponents: z.number().int().min(0).max(512).optional() }).strict();
const TrendsQuery = z.object({ from: z.string().optional(), to: z.string().optional(), period: z.enum(['day', 'week', 'month']).optional() });

/** Catalog intelligence: styles (clusters + map), auto-categories, duplicates, demand trends. Runs need the admin token when one is set. */
export function insightsRoutes(app: FastifyInstance, shoplens: Shoplens): void {
  const insights = insightsFor(shoplens);
  const admin = { preHandler: async (request: FastifyRequest) => requireAdmin(shoplens, request) };

  app.get('/api/v1/insights/clusters', { schema: { summary: 'The last clustering of the catalog into visual styles (null when never run)' } }, async () => ({
    report: withUrls(await insights.clustering.latest()),
  }));
  app.post('/api/v1/insights/clusters', { ...noValidation, ...admin, schema: { summary: 'Cluster the catalog (k-means; k by silhouette when omitted)' } }, async (request) => {
    const body = parseWith(ClusterBody, request.body ?? {}, 'cluster request');
    return { report: withUrls(await insights.clustering.run({ ...(body.k !== undefined ? { k: body.k } : {}), ...(body.seed !== undefined ? { seed: body.seed } : {}) })) };
  });
  app.get('/api/v1/insights/clusters/map', { ...noValidation, schema: { summary: '2-D map points (PCA) of the clustered images' } }, async (request) => {
    const limit = Number((request.query as { limit?: string }).limit ?? 3000);
    if (!Number.isInteger(limit) || limit < 1 || limit > 20000) throw new AppError('INVALID_PARAMETER', 'limit must be an integer from 1 to 20000');
    return { points: await insights.clustering.map(limit) };
  });

  app.get('/api/v1/insights/classification', { schema: { summary: 'The last auto-category report (null when never trained)' } }, async () => ({
    report: await insights.classification.latest(),
  }));
  app.post('/api/v1/insights/classification', { ...noValidation, ...admin, schema: { summary: 'Train the category classifier; suggest and check categories' } }, async (request) => {
    const body = parseWith(ClassifyBody, request.body ?? {}, 'classification request');
    return {
      report: await insights.classification.train({
        ...(body.method ? { method: body.method as ClassifierMethod } : {}),
        ...(body.pcaComponents !== undefined ? { pcaComponents: body.pcaComponents } : {}),
      }),
    };
  });

  app.get('/api/v1/insights/duplicates', { schema: { summary: 'The last duplicate report (null when never run)' } }, async () => ({
    report: dupUrls(await insights.duplicates.latest()),
  }));
  app.post('/api/v1/insights/duplicates', { ...noValidation, ...admin, schema: { summary: 'Find exact and near duplicate products' } }, async () => ({
    report: dupUrls(await insights.duplicates.run()),
  }));

  app.get('/api/v1/insights/trends', { ...noValidation, schema: { summary: 'Demand per period, per style and category, top searched products' } }, async (request) => {
    const q = parseWith(TrendsQuery, request.query, 'trends query');
    return { enabled: insights.trends.enabled, report: await insights.trends.report(trendOptions(q)) };
  });
  app.get('/api/v1/insights/trends.csv', { ...noValidation, schema: { summary: 'The trends report as CSV' } }, async (request, reply) => {
    const q = parseWith(TrendsQuery, request.query, 'trends query');
    const csv = trendsToCsv(await insights.trends.report(trendOptions(q)));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="shoplens-trends.csv"').send(csv);
  });
}

function trendOptions(q: z.infer<typeof TrendsQuery>): { from?: string; to?: string; period?: Period } {
  return { ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}), ...(q.period ? { period: q.period } : {}) };
}

function withUrls(report: ClusteringReport | null) {
  if (!report) return null;
  return { ...report, clusters: report.clusters.map((c) => ({ ...c, representatives: c.representatives.map((r) => ({ ...r, url: mediaUrl(r.sha256) })) })) };
}

function dupUrls(report: DuplicateReport | null) {
  if (!report) return null;
  return { ...report, groups: report.groups.map((g) => ({ ...g, products: g.products.map((p) => ({ ...p, url: p.sha256 ? mediaUrl(p.sha256) : null })) })) };
}

function requireAdmin(shoplens: Shoplens, request: FastifyRequest): void {
  const token = shoplens.config.adminToken;
  if (token && request.headers.authorization !== `Bearer ${token}`) {
    throw new AppError('UNAUTHORIZED', 'This endpoint needs `Authorization: Bearer <admin token>`');
  }
}
