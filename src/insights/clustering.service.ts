import type { CatalogStore } from '../catalog/catalog-store.js';
import type { MediaStore } from '../catalog/media-store.js';
import { AppError } from '../domain/errors.js';
import { loadCatalogVectors } from './catalog-vectors.js';
import { dominantColors, type DominantColor } from './dominant-colors.js';
import { assign, chooseK, kmeans } from './kmeans.js';
import { fitPca, project } from './pca.js';

export interface ClusterOptions {
  /** Number of clusters; chosen by silhouette (2…20) when omitted. */
  k?: number;
  seed?: number;
  /** Representative images kept per cluster (nearest to the centre). Default 8. */
  representatives?: number;
}

export interface ClusterRepresentative {
  productId: string;
  title: string;
  imageKey: number;
  sha256: string;
}

/** One visual style: a k-means cluster of image vectors. */
export interface ClusterSummary {
  id: number;
  images: number;
  products: number;
  /** Share of the clustered images. */
  share: number;
  representatives: ClusterRepresentative[];
  dominantColors: DominantColor[];
  /** Catalog categories of the cluster's products, most frequent first (null = uncategorised). */
  categories: { name: string | null; count: number }[];
  /** Centre of the cluster on the 2-D map. */
  x: number;
  y: number;
}

export interface ClusteringReport {
  k: number;
  chosenBy: 'given' | 'silhouette';
  silhouette?: { k: number; silhouette: number }[];
  method: 'lloyd' | 'mini-batch';
  images: number;
  products: number;
  inertia: number;
  map: 'pca';
  seconds: number;
  createdAt: string;
  clusters: ClusterSummary[];
}

export interface MapPoint {
  key: number;
  productId: string;
  cluster: number;
  x: number;
  y: number;
}

const REPORT_META = 'insights.clusters';

/**
 * Visual styles: k-means over the stored image vectors, summarised per cluster (size,
 * representatives, dominant colours, category mix), with a 2-D PCA map of the catalog. The last
 * run is persisted (report in meta, assignments per image) for the UI and the search log.
 */
export class ClusteringService {
  constructor(
    private readonly store: CatalogStore,
    private readonly media: MediaStore,
  ) {}

  /** Clusters the whole catalog and replaces the stored result. */
  async run(options: ClusterOptions = {}): Promise<ClusteringReport> {
    const started = performance.now();
    const seed = options.seed ?? 1;
    const { matrix, images, products } = await loadCatalogVectors(this.store);
    if (options.k !== undefined && (!Number.isInteger(options.k) || options.k < 1 || options.k > 200)) {
      throw new AppError('INVALID_PARAMETER', `k must be an integer from 1 to 200, got ${options.k}`, { details: { k: options.k } });
    }
    if (matrix.n < 2) throw new AppError('INVALID_PARAMETER', `clustering needs at least 2 images; the catalog has ${matrix.n}`);
    if (options.k !== undefined && options.k > matrix.n) {
      throw new AppError('INVALID_PARAMETER', `k = ${options.k} is more than the ${matrix.n} images in the catalog`, { details: { k: options.k } });
    }
    const chosen = options.k === undefined ? chooseK(matrix, { seed }) : null;
    const k = options.k ?? chosen!.k;
    const result = kmeans(matrix, { k, seed });
    const { distances } = assign(matrix, result.centroids, k);

    // 2-D map: the first two principal components of the vectors (fitted on a sample).
    const pca = fitPca(matrix, { components: 2, sample: 2000, seed });
    const xy = project(matrix, pca, 2);
    const scale = mapScale(xy.data);

    const repCount = options.representatives ?? 8;
    const clusters: ClusterSummary[] = [];
    for (let c = 0; c < k; c++) {
      const members: number[] = [];
      for (let i = 0; i < matrix.n; i++) if (result.assignments[i] === c) members.push(i);
      members.sort((a, b) => distances[a]! - distances[b]!);
      // One representative per product: a product with many near-identical shots should not fill the strip.
      const reps: ClusterRepresentative[] = [];
      const seen = new Set<string>();
      for (const i of members) {
        const img = images[i]!;
        if (seen.has(img.productId)) continue;
        seen.add(img.productId);
        reps.push({ productId: img.productId, title: products.get(img.productId)?.title ?? img.productId, imageKey: img.key, sha256: img.sha256 });
        if (reps.length >= repCount) break;
      }
      const productIds = new Set(members.map((i) => images[i]!.productId));
      const categories = new Map<string | null, number>();
      for (const id of productIds) {
        const cat = products.get(id)?.category ?? null;
        categories.set(cat, (categories.get(cat) ?? 0) + 1);
      }
      let cx = 0, cy = 0;
      for (const i of members) {
        cx += xy.data[i * 2]!;
        cy += xy.data[i * 2 + 1]!;
      }
      clusters.push({
        id: c,
        images: members.length,
        products: productIds.size,
        share: members.length / matrix.n,
        representatives: reps,
        dominantColors: await dominantColors(this.media, reps.map((r) => r.sha256)),
        categories: [...categories.entries()].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count),
        x: members.length ? round((cx / members.length) * scale) : 0,
        y: members.length ? round((cy / members.length) * scale) : 0,
      });
    }
    await this.store.replaceImageClusters(images.map((img, i) => ({
      key: img.key, cluster: result.assignments[i]!, x: round(xy.data[i * 2]! * scale), y: round(xy.data[i * 2 + 1]! * scale),
    })));
    const report: ClusteringReport = {
      k,
      chosenBy: chosen ? 'silhouette' : 'given',
      ...(chosen ? { silhouette: chosen.scores.map((s) => ({ k: s.k, silhouette: round(s.silhouette) })) } : {}),
      method: result.method,
      images: matrix.n,
      products: products.size,
      inertia: round(result.inertia),
      map: 'pca',
      seconds: round((performance.now() - started) / 1000),
      createdAt: new Date().toISOString(),
      clusters,
    };
    await this.store.setMeta(REPORT_META, JSON.stringify(report));
    return report;
  }

  /** The last stored clustering report, or null when the catalog was never clustered. */
  async latest(): Promise<ClusteringReport | null> {
    const raw = await this.store.getMeta(REPORT_META);
    return raw ? (JSON.parse(raw) as ClusteringReport) : null;
  }

  /**
   * Points of the 2-D map (one per clustered image still in the catalog), evenly thinned to at most
   * `limit` so the browser draws a large catalog quickly.
   */
  async map(limit = 3000): Promise<MapPoint[]> {
    const all = [...(await this.store.getImageClusters()).values()];
    const step = Math.max(1, all.length / Math.max(1, limit));
    const picked = [];
    for (let j = 0; j < Math.min(limit, all.length); j++) picked.push(all[Math.floor(j * step)]!);
    const images = await this.store.getImages(picked.map((p) => p.key));
    return picked.flatMap((p) => {
      const img = images.get(p.key);
      return img ? [{ key: p.key, productId: img.productId, cluster: p.cluster, x: p.x, y: p.y }] : [];
    });
  }
}

/** Scales map coordinates so the farthest point sits at distance 1 from the origin. */
function mapScale(xy: Float32Array): number {
  let max = 0;
  for (let i = 0; i < xy.length; i++) max = Math.max(max, Math.abs(xy[i]!));
  return max > 0 ? 1 / max : 1;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

