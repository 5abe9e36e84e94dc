import { readFile } from 'node:fs/promises';
import type { CatalogStore, ImageHashRow } from '../catalog/catalog-store.js';
import type { MediaStore } from '../catalog/media-store.js';
import type { Product } from '../domain/product.js';
import { decodeImage } from '../imaging/index.js';
import type { VectorIndex } from '../index/vector-index.js';
import { loadCatalogVectors } from './catalog-vectors.js';
import { hammingDistance, perceptualHash, pixelHash } from './image-hash.js';
import { comparePair, prepareImage, type Alignment, type PairComparison, type PreparedImage } from './near-duplicate.js';

export interface DuplicateOptions {
  /** Embedding neighbours examined per image (default 10). */
  neighbors?: number;
  /**
   * Largest cosine distance for an embedding candidate (default 0.2). Candidates are only
   * candidates: each is verified pixel by pixel (see maxDiffering). A 5 %-cropped copy was
   * measured as far as 0.104 on bench/duplicates seed 1.
   */
  maxDistance?: number;
  /**
   * Largest share of overlap cells whose colours differ after aligning the two pictures
   * (src/insights/near-duplicate.ts), default 0.0005 (2 cells of 4096). Tuned on
   * bench/duplicates seed 1: every true copy 0, the closest distinct drawing 0.0007.
   */
  maxDiffering?: number;
  /**
   * Largest mean colour difference over the compared region, 0–255 (default 10): a tint over the
   * whole picture that no single cell shows (the same playing card printed on cream and on white
   * paper). About twice the largest true-copy value on bench/duplicates seed 1 (5.3).
   */
  maxMeanDifference?: number;
  /** Smallest overlap of the aligned pictures, as a share of the larger one (default 0.8; a 5 % crop is 0.90). */
  minOverlap?: number;
  /** Longest side pictures are compared at (default 384). */
  compareSide?: number;
}

export interface DuplicateEvidence {
  a: string;
  b: string;
  kind: 'same-file' | 'same-pixels' | 'near';
  /** Cosine distance of the two images' vectors (near pairs). */
  distance?: number;
  /** pHash hamming distance, 0–64 (near pairs; informative, not decisive). */
  hamming?: number;
  /** Share of overlap cells whose colours differ after alignment (near pairs). */
  differing?: number;
  /** Mean colour difference over the aligned overlap, 0–255 (near pairs). */
  meanDifference?: number;
  /** How the pictures were aligned: whole frame, content box on a plain background, or local features + RANSAC (near pairs). */
  alignment?: Alignment['source'];
}

export interface DuplicateMember {
  id: string;
  title: string;
  category: string | null;
  sha256: string;
  width: number;
  height: number;
}

export interface DuplicateGroup {
  id: number;
  /** 'exact' when every link is the same file or the same pixels. */
  kind: 'exact' | 'near';
  products: DuplicateMember[];
  /** Suggested product to keep: largest image, then most complete record, then oldest. */
  keep: string;
  evidence: DuplicateEvidence[];
}

export interface DuplicateReport {
  images: number;
  products: number;
  hashed: number;
  /** Candidate image pairs (embedding neighbours) whose pictures were aligned and compared. */
  verifiedPairs: number;
  groups: DuplicateGroup[];
  seconds: number;
  createdAt: string;
  thresholds: Required<DuplicateOptions>;
}

const REPORT_META = 'insights.duplicates';

export const DEFAULT_DUPLICATE_OPTIONS: Required<DuplicateOptions> = {
  neighbors: 10, maxDistance: 0.2, maxDiffering: 0.0005, maxMeanDifference: 10, minOverlap: 0.8, compareSide: 384,
};

/** Decides whether a verified pair is a near duplicate. */
export function isNearDuplicate(c: Pick<PairComparison, 'differing' | 'meanDifference' | 'overlap' | 'cells'>, t: Required<DuplicateOptions> = DEFAULT_DUPLICATE_OPTIONS): boolean {
  return c.cells > 0 && c.differing <= t.maxDiffering && c.meanDifference <= t.maxMeanDifference && c.overlap >= t.minOverlap;
}

/** Prepared pictures kept while pairs are checked (each is ~0.5 MB at 384 px). */
const PREPARED_CACHE = 256;

/**
 * Duplicate products: exact (same file bytes, or same decoded pixels) and near duplicates
 * (embedding neighbours from the ANN index, confirmed by aligning the two pictures and comparing
 * their colours cell by cell). Groups are formed by complete linkage: a product joins a group only
 * when it is a duplicate of every member, so two look-alikes cannot chain distinct products
 * together. Each group has a suggested product to keep.
 */
export class DuplicatesService {
  constructor(
    private readonly store: CatalogStore,
    private readonly media: MediaStore,
    private readonly index: () => VectorIndex,
  ) {}

  async run(options: DuplicateOptions = {}): Promise<DuplicateReport> {
    const started = performance.now();
    const t = { ...DEFAULT_DUPLICATE_OPTIONS, ...options };
    const { matrix, images, products } = await loadCatalogVectors(this.store);
    const hashes = await this.ensureHashes([...new Set(images.map((i) => i.sha256))]);
    const evidence = new Map<string, DuplicateEvidence>();
    const link = (a: string, b: string, e: Omit<DuplicateEvidence, 'a' | 'b'>) => {
      if (a === b) return;
      const [x, y] = a < b ? [a, b] : [b, a];
      const key = `${x}\u0000${y}`;
      const prev = evidence.get(key);
      const rank = { 'same-file': 0, 'same-pixels': 1, near: 2 } as const;
      if (!prev || rank[e.kind] < rank[prev.kind]) evidence.set(key, { a: x, b: y, ...e });
    };

    // Exact: same bytes, or same pixels in another file.
    for (const [kind, keyOf] of [
      ['same-file', (sha: string) => sha],
      ['same-pixels', (sha: string) => hashes.get(sha)?.pixelHash],
    ] as const) {
      const byKey = new Map<string, string[]>();
      for (const img of images) {
        const k = keyOf(img.sha256);
        if (!k) continue;
        const list = byKey.get(k) ?? [];
        list.push(img.productId);
        byKey.set(k, list);
      }
      for (const ids of byKey.values()) for (let i = 1; i < ids.length; i++) link(ids[0]!, ids[i]!, { kind });
    }

    // Near: embedding neighbours, each pair verified by aligning the pictures and comparing colours.
    const index = this.index();
    const keyToRow = new Map(images.map((img, i) => [img.key, i]));
    const checked = new Set<string>();
    const prepared = new Map<string, PreparedImage | null>();
    const prepare = async (sha256: string): Promise<PreparedImage | null> => {
      if (prepared.has(sha256)) {
        const p = prepared.get(sha256)!;
        prepared.delete(sha256); // re-insert: most recently used last
        prepared.set(sha256, p);
        return p;
      }
      const p = await this.prepare(sha256, t.compareSide);
      prepared.set(sha256, p);
      if (prepared.size > PREPARED_CACHE) prepared.delete(prepared.keys().next().value!);
      return p;
    };
    let verified = 0;
    for (let i = 0; i < matrix.n; i++) {
      const img = images[i]!;
      const q = matrix.data.subarray(i * matrix.d, (i + 1) * matrix.d);
      for (const nb of index.search(q, t.neighbors + 1)) {
        if (nb.distance > t.maxDistance) break;
        const j = keyToRow.get(nb.key);
        if (j === undefined || j === i) continue;
        const other = images[j]!;
        if (other.productId === img.productId || other.sha256 === img.sha256) continue;
        const pair = img.sha256 < other.sha256 ? `${img.sha256}${other.sha256}` : `${other.sha256}${img.sha256}`;
        if (checked.has(pair)) continue;
        checked.add(pair);
        const pa = await prepare(img.sha256), pb = await prepare(other.sha256);
        if (!pa || !pb) continue;
        verified++;
        const c = await comparePair(pa, pb);
        if (!isNearDuplicate(c, t)) continue;
        const h1 = hashes.get(img.sha256)?.phash, h2 = hashes.get(other.sha256)?.phash;
        link(img.productId, other.productId, {
          kind: 'near',
          distance: round(nb.distance),
          ...(h1 && h2 ? { hamming: hammingDistance(h1, h2) } : {}),
          differing: round(c.differing),
          meanDifference: round(c.meanDifference),
          alignment: c.alignment.source,
        });
      }
    }

    const groups = groupProducts([...evidence.values()], products, images);
    const report: DuplicateReport = {
      images: matrix.n,
      products: products.size,
      hashed: hashes.size,
      verifiedPairs: verified,
      groups,
      seconds: round((performance.now() - started) / 1000),
      createdAt: new Date().toISOString(),
      thresholds: t,
    };
    await this.store.setMeta(REPORT_META, JSON.stringify(report));
    return report;
  }

  async latest(): Promise<DuplicateReport | null> {
    const raw = await this.store.getMeta(REPORT_META);
    return raw ? (JSON.parse(raw) as DuplicateReport) : null;
  }

  /** Hashes for every image content, computing (from the display copies) and storing the missing ones. */
  private async ensureHashes(shas: string[]): Promise<Map<string, ImageHashRow>> {
    const out = new Map<string, ImageHashRow>();
    for (let i = 0; i < shas.length; i += 500) {
      const batch = shas.slice(i, i + 500);
      const stored = await this.store.getImageHashes(batch);
      const fresh: ImageHashRow[] = [];
      for (const sha of batch) {
        const have = stored.get(sha);
        if (have) {
          out.set(sha, have);
          continue;
        }
        const row = await this.hashOf(sha);
        if (row) {
          fresh.push(row);
          out.set(sha, row);
        }
      }
      if (fresh.length > 0) await this.store.putImageHashes(fresh);
    }
    return out;
  }

  private async hashOf(sha256: string): Promise<ImageHashRow | null> {
    try {
      const img = await decodeImage(await readFile(this.media.pathFor(sha256)), undefined, { maxSide: 0 });
      return { sha256, pixelHash: pixelHash(img), phash: perceptualHash(img) };
    } catch {
      return null; // no display copy: only same-file duplicates are found for this image
    }
  }

  /** A display copy ready for pair checks; null when it cannot be read (no near duplicates then). */
  private async prepare(sha256: string, side: number): Promise<PreparedImage | null> {
    try {
      return prepareImage(await decodeImage(await readFile(this.media.pathFor(sha256)), undefined, { maxSide: side }));
    } catch {
      return null;
    }
  }
}

export function groupProducts(evidence: DuplicateEvidence[], products: Map<string, Product>, images: { productId: string; sha256: string; width: number; height: number; position: number }[]): DuplicateGroup[] {
  // Complete linkage, strongest evidence first: two groups merge only when every cross pair is a
  // duplicate pair. Union-find (transitive closure) let one look-alike link chain distinct products.
  const rank = { 'same-file': 0, 'same-pixels': 1, near: 2 } as const;
  const ordered = [...evidence].sort((x, y) => rank[x.kind] - rank[y.kind] || (x.differing ?? 0) - (y.differing ?? 0) || (x.distance ?? 0) - (y.distance ?? 0) || (x.a + x.b < y.a + y.b ? -1 : 1));
  const linked = new Set(evidence.map((e) => `${e.a}\u0000${e.b}`));
  const isLinked = (x: string, y: string) => linked.has(x < y ? `${x}\u0000${y}` : `${y}\u0000${x}`);
  const groupOf = new Map<string, string[]>();
  for (const e of ordered) {
    const ga = groupOf.get(e.a) ?? [e.a], gb = groupOf.get(e.b) ?? [e.b];
    if (ga === gb || !ga.every((x) => gb.every((y) => isLinked(x, y)))) continue;
    const merged = [...ga, ...gb];
    for (const id of merged) groupOf.set(id, merged);
  }
  const primary = new Map<string, { sha256: string; width: number; height: number }>();
  for (const img of images) if (img.position === 0) primary.set(img.productId, img);
  const byRoot = new Set(groupOf.values());
  const groups: DuplicateGroup[] = [];
  for (const ids of byRoot) {
    ids.sort();
    const members = ids.map((id): DuplicateMember => {
      const p = products.get(id);
      const img = primary.get(id);
      return { id, title: p?.title ?? id, category: p?.category ?? null, sha256: img?.sha256 ?? '', width: img?.width ?? 0, height: img?.height ?? 0 };
    });
    const set = new Set(ids);
    const ev = evidence.filter((e) => set.has(e.a) && set.has(e.b));
    groups.push({
      id: 0,
      kind: ev.every((e) => e.kind !== 'near') ? 'exact' : 'near',
      products: members,
      keep: suggestKeep(members, products),
      evidence: ev,
    });
  }
  groups.sort((a, b) => b.products.length - a.products.length || (a.products[0]!.id < b.products[0]!.id ? -1 : 1));
  groups.forEach((g, i) => (g.id = i + 1));
  return groups;
}

/** Keep the largest image; then the most complete record (category, brand, price, attributes); then the oldest. */
function suggestKeep(members: DuplicateMember[], products: Map<string, Product>): string {
  const score = (m: DuplicateMember) => {
    const p = products.get(m.id);
    const completeness = p ? Number(p.category !== null) + Number(p.brand !== null) + Number(p.price !== null) + Object.keys(p.attributes).length : 0;
    return { area: m.width * m.height, completeness, created: p?.createdAt ?? '' };
  };
  return [...members].sort((a, b) => {
    const sa = score(a), sb = score(b);
    return sb.area - sa.area || sb.completeness - sa.completeness || (sa.created < sb.created ? -1 : sa.created > sb.created ? 1 : 0) || (a.id < b.id ? -1 : 1);
  })[0]!.id;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
