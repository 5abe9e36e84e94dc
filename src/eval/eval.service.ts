import type { CatalogStore } from '../catalog/catalog-store.js';
import { toAppError } from '../domain/errors.js';
import { loadImageBytes } from '../ingest/image-source.js';
import type { SearchService } from '../search/search.service.js';
import { averagePrecision, mean, ndcgAtK, percentile, recallAtK } from './metrics.js';
import type { EvalQuery } from './query-set.js';

export interface EvalOptions {
  /** How many products each query retrieves; metrics look at this depth (mAP too). */
  depth: number;
  maxImageBytes: number;
  fetchTimeoutMs: number;
  onProgress?: (done: number, total: number) => void;
}

export interface EvalReport {
  'recall@1': number;
  'recall@5': number;
  'recall@10': number;
  /**
   * Share of queries with at least one relevant product in the top 1 / 10. Equal to recall@k when
   * each query has one relevant product; where a query has several equally right ones (a product
   * and its identical twin in the catalogue), recall@1 is at most 1/n for it, found@1 is 1 when
   * either comes first.
   */
  'found@1': number;
  'found@10': number;
  mAP: number;
  'ndcg@10': number;
  queries: number;
  depth: number;
  latency_ms: { p50: number; p95: number };
  failed: { row: number; image: string; code: string; reason: string }[];
  perQuery: { row: number; rank: number | null; top: string[]; ms: number }[];
}

/**
 * Runs labelled queries through the real search path (decode → features → index) and scores the
 * rankings. Latency is per query, from image bytes to ranked products, in-process.
 */
export async function evaluate(queries: EvalQuery[], search: SearchService, store: CatalogStore, options: EvalOptions): Promise<EvalReport> {
  const categoryMembers = new Map<string, Set<string>>();
  const membersOf = async (category: string): Promise<Set<string>> => {
    let set = categoryMembers.get(category);
    if (!set) {
      set = new Set<string>();
      for (let offset = 0; ; offset += 500) {
        const page = await store.listProducts({ offset, limit: 500, filter: { category: [category] } });
        for (const p of page.items) set.add(p.id);
        if (page.items.length < 500) break;
      }
      categoryMembers.set(category, set);
    }
    return set;
  };

  const r1: number[] = [], r5: number[] = [], r10: number[] = [], ap: number[] = [], ndcg: number[] = [], ms: number[] = [];
  const failed: EvalReport['failed'] = [];
  const perQuery: EvalReport['perQuery'] = [];
  let done = 0;
  for (const q of queries) {
    try {
      const relevant = q.expected ? new Set(q.expected) : await membersOf(q.category!);
      const bytes = await loadImageBytes(q.image, { maxBytes: options.maxImageBytes, timeoutMs: options.fetchTimeoutMs, allowPrivate: true });
      const started = performance.now();
      const result = await search.searchByImage(bytes, { k: options.depth });
      const took = performance.now() - started;
      const ranked = result.hits.map((h) => h.product.id);
      r1.push(recallAtK(ranked, relevant, 1));
      r5.push(recallAtK(ranked, relevant, 5));
      r10.push(recallAtK(ranked, relevant, 10));
      ap.push(averagePrecision(ranked, relevant));
      ndcg.push(ndcgAtK(ranked, relevant, 10));
      ms.push(took);
      const rank = ranked.findIndex((id) => relevant.has(id));
      perQuery.push({ row: q.row, rank: rank < 0 ? null : rank + 1, top: ranked.slice(0, 3), ms: round(took) });
    } catch (err) {
      const e = toAppError(err);
      failed.push({ row: q.row, image: q.image, code: e.code, reason: e.message });
    }
    options.onProgress?.(++done, queries.length);
  }
  return {
    'recall@1': round(mean(r1)),
    'recall@5': round(mean(r5)),
    'recall@10': round(mean(r10)),
    'found@1': round(mean(perQuery.map((q) => (q.rank === 1 ? 1 : 0)))),
    'found@10': round(mean(perQuery.map((q) => (q.rank !== null && q.rank <= 10 ? 1 : 0)))),
    mAP: round(mean(ap)),
    'ndcg@10': round(mean(ndcg)),
    queries: ms.length,
    depth: options.depth,
    latency_ms: { p50: round(percentile(ms, 50)), p95: round(percentile(ms, 95)) },
    failed,
    perQuery,
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
