import type { CatalogStore, SearchLogEntry } from '../catalog/catalog-store.js';
import { AppError } from '../domain/errors.js';
import type { SearchHit } from '../domain/search.js';

export type Period = 'day' | 'week' | 'month';

export interface TrendsOptions {
  /** ISO date/time bounds (from inclusive, to exclusive); default: the last 30 days. */
  from?: string;
  to?: string;
  period?: Period;
  /** Top searched products listed (default 20). */
  top?: number;
}

export interface ClusterDemand {
  cluster: number;
  searches: number;
  /** Share of searches whose top hit is in this cluster. */
  searchShare: number;
  /** Share of the catalog's clustered images in this cluster. */
  catalogShare: number;
  /** searchShare / catalogShare: above 1, shoppers look for this style more than the catalog offers it. */
  ratio: number | null;
}

export interface TrendsReport {
  from: string;
  to: string;
  period: Period;
  searches: number;
  perPeriod: { period: string; searches: number; clusters: Record<string, number> }[];
  clusters: ClusterDemand[];
  /** Clusters with ratio ≥ 1.5 and at least 5 searches: styles in demand but thin in the catalog. */
  underSupplied: number[];
  categories: { name: string | null; searches: number; share: number }[];
  topProducts: { productId: string; top1: number; appearances: number }[];
}

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
const TOP_IDS = 10;

/**
 * Demand trends from the anonymous search log. `record` keeps only the time, the kind of query,
 * the top hit's category and cluster, and the top product ids; never the photo or the caller.
 */
export class TrendsService {
  private lastPrune = 0;

  constructor(
    private readonly store: CatalogStore,
    /** Days entries are kept; 0 = the log is off. */
    private readonly retentionDays: number,
  ) {}

  get enabled(): boolean {
    return this.retentionDays > 0;
  }

  /** Logs one search by its hits; prunes expired entries at most once an hour. */
  async record(kind: SearchLogEntry['kind'], hits: SearchHit[], now = new Date()): Promise<void> {
    if (!this.enabled) return;
    const top = hits[0];
    const clusters = top ? await this.store.getImageClusters([top.matchedImage.key]) : new Map();
    await this.store.appendSearchLog({
      at: now.toISOString(),
      kind,
      category: top?.product.category ?? null,
      cluster: top ? clusters.get(top.matchedImage.key)?.cluster ?? null : null,
      topIds: hits.slice(0, TOP_IDS).map((h) => h.product.id),
    });
    if (now.getTime() - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = now.getTime();
      await this.prune(now);
    }
  }

  /** Deletes entries older than the retention period. */
  async prune(now = new Date()): Promise<number> {
    if (!this.enabled) return 0;
    return this.store.pruneSearchLog(new Date(now.getTime() - this.retentionDays * DAY_MS).toISOString());
  }

  async report(options: TrendsOptions = {}, now = new Date()): Promise<TrendsReport> {
    const period = options.period ?? 'day';
    if (!['day', 'week', 'month'].includes(period)) throw new AppError('INVALID_PARAMETER', `period must be day, week or month, got "${period}"`);
    const to = parseTime(options.to, 'to') ?? now.toISOString();
    const from = parseTime(options.from, 'from') ?? new Date(Date.parse(to) - 30 * DAY_MS).toISOString();
    if (from >= to) throw new AppError('INVALID_PARAMETER', '`from` must be before `to`', { details: { from, to } });
    const entries = await this.store.readSearchLog({ from, to });

    const perPeriod = new Map<string, { searches: number; clusters: Record<string, number> }>();
    const clusterSearches = new Map<number, number>();
    const categories = new Map<string | null, number>();
    const products = new Map<string, { top1: number; appearances: number }>();
    for (const e of entries) {
      const p = periodKey(e.at, period);
      const bucket = perPeriod.get(p) ?? { searches: 0, clusters: {} };
      bucket.searches++;
      if (e.cluster !== null) {
        bucket.clusters[e.cluster] = (bucket.clusters[e.cluster] ?? 0) + 1;
        clusterSearches.set(e.cluster, (clusterSearches.get(e.cluster) ?? 0) + 1);
      }
      perPeriod.set(p, bucket);
      categories.set(e.category, (categories.get(e.category) ?? 0) + 1);
      e.topIds.forEach((id, i) => {
        const s = products.get(id) ?? { top1: 0, appearances: 0 };
        s.appearances++;
        if (i === 0) s.top1++;
        products.set(id, s);
      });
    }

    const catalog = new Map<number, number>();
    let clusteredImages = 0;
    for (const r of (await this.store.getImageClusters()).values()) {
      catalog.set(r.cluster, (catalog.get(r.cluster) ?? 0) + 1);
      clusteredImages++;
    }
    const withCluster = [...clusterSearches.values()].reduce((a, b) => a + b, 0);
    const ids = [...new Set([...catalog.keys(), ...clusterSearches.keys()])].sort((a, b) => a - b);
    const clusters: ClusterDemand[] = ids.map((cluster) => {
      const searches = clusterSearches.get(cluster) ?? 0;
      const searchShare = withCluster > 0 ? searches / withCluster : 0;
      const catalogShare = clusteredImages > 0 ? (catalog.get(cluster) ?? 0) / clusteredImages : 0;
      return { cluster, searches, searchShare: round(searchShare), catalogShare: round(catalogShare), ratio: catalogShare > 0 ? round(searchShare / catalogShare) : null };
    });
    return {
      from,
      to,
      period,
      searches: entries.length,
      perPeriod: [...perPeriod.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, v]) => ({ period: p, ...v })),
      clusters,
      underSupplied: clusters.filter((c) => c.searches >= 5 && (c.ratio === null || c.ratio >= 1.5)).map((c) => c.cluster),
      categories: [...categories.entries()]
        .map(([name, searches]) => ({ name, searches, share: round(searches / Math.max(1, entries.length)) }))
        .sort((a, b) => b.searches - a.searches),
      topProducts: [...products.entries()]
        .map(([productId, s]) => ({ productId, ...s }))
        .sort((a, b) => b.top1 - a.top1 || b.appearances - a.appearances || (a.productId < b.productId ? -1 : 1))
        .slice(0, options.top ?? 20),
    };
  }
}

/** The report as CSV: one row per period and cluster (searches), then per-cluster demand and top products. */
export function trendsToCsv(report: TrendsReport): string {
  const lines = ['section,period,cluster,product_id,searches,search_share,catalog_share,ratio,top1,appearances'];
  for (const p of report.perPeriod) {
    for (const [cluster, n] of Object.entries(p.clusters)) lines.push(`period,${p.period},${cluster},,${n},,,,,`);
    lines.push(`period_total,${p.period},,,${p.searches},,,,,`);
  }
  for (const c of report.clusters) lines.push(`cluster,,${c.cluster},,${c.searches},${c.searchShare},${c.catalogShare},${c.ratio ?? ''},,`);
  for (const t of report.topProducts) lines.push(`product,,,${csvField(t.productId)},,,,,${t.top1},${t.appearances}`);
  return `${lines.join('\n')}\n`;
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function parseTime(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw new AppError('INVALID_PARAMETER', `${name} must be an ISO date or time, got "${value}"`, { details: { [name]: value } });
  return new Date(t).toISOString();
}

/** Period label in UTC: 2024-05-17 (day), 2024-W20 (ISO week), 2024-05 (month). */
export function periodKey(iso: string, period: Period): string {
  const d = new Date(iso);
  if (period === 'day') return iso.slice(0, 10);
  if (period === 'month') return iso.slice(0, 7);
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
