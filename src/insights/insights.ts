import type { Shoplens } from '../main.js';
import { ClassificationService } from './classification.service.js';
import { ClusteringService } from './clustering.service.js';
import { DuplicatesService } from './duplicates.service.js';
import { TrendsService } from './trends.service.js';

/** The catalog-intelligence services over one opened Shoplens. */
export interface Insights {
  clustering: ClusteringService;
  classification: ClassificationService;
  duplicates: DuplicatesService;
  trends: TrendsService;
}

const cache = new WeakMap<Shoplens, Insights>();

/**
 * Insights for a Shoplens, built once and cached: built here (not in main.ts) so the composition
 * root stays as it is; every service only needs the store, the media store and the index.
 */
export function insightsFor(shoplens: Shoplens): Insights {
  let insights = cache.get(shoplens);
  if (!insights) {
    insights = {
      clustering: new ClusteringService(shoplens.store, shoplens.media),
      classification: new ClassificationService(shoplens.store),
      duplicates: new DuplicatesService(shoplens.store, shoplens.media, () => shoplens.indexSync.index),
      trends: new TrendsService(shoplens.store, shoplens.config.searchLogRetentionDays),
    };
    cache.set(shoplens, insights);
  }
  return insights;
}
