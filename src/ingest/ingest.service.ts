import { createHash } from 'node:crypto';
import type { CatalogStore, ImageWrite, ProductWrite } from '../catalog/catalog-store.js';
import type { MediaStore } from '../catalog/media-store.js';
import { toAppError, type ErrorCode } from '../domain/errors.js';
import type { ProductInput } from '../domain/product.js';
import type { FeatureExtractor } from '../features/feature-extractor.js';
import { ANALYSIS_MAX_SIDE, embedImage } from '../features/image-embedder.js';
import { encodeDisplayJpeg } from '../imaging/index.js';
import type { ImageLimits, RgbImage } from '../imaging/types.js';
import type { IndexSync } from '../index/index-sync.js';
import { mapPool } from './map-pool.js';
import { loadImageBytes } from './image-source.js';
import type { CatalogRow } from './readers/catalog-row.js';
import { readCatalog } from './readers/catalog-reader.js';
import type { LookupProgress, LookupService } from '../search/lookup/lookup.service.js';

export interface IngestServiceOptions {
  limits: ImageLimits;
  fetchTimeoutMs: number;
  batchSize: number;
  concurrency: number;
}

export interface IngestOptions {
  /** Delete stored products that the catalog no longer lists. */
  deleteMissing?: boolean;
  onProgress?: (progress: IngestProgress) => void;
}

export interface IngestProgress {
  rowsRead: number;
  processed: number;
  failed: number;
  phase: 'reading' | 'analysing' | 'deleting' | 'lookup' | 'done';
  /** In the `lookup` phase (after the rows): product lookup's own step (LookupService.update). */
  lookup?: LookupProgress;
}

/** Outcome of one catalog row: what the pipeline did with it. */
export type RowStatus = 'created' | 'updated' | 'unchanged' | 'failed';

export interface RowFailure {
  row: number;
  id?: string;
  code: ErrorCode;
  reason: string;
}

export interface IngestReport {
  catalog: string;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: RowFailure[];
  imagesAnalysed: number;
  imagesReused: number;
  durationMs: number;
  /** Images analysed (decoded + features) per second of wall time. */
  imagesPerSecond: number;
  /** True when nothing in the store changed. */
  noChanges: boolean;
  /**
   * Product lookup after this import (null when it is off): ready once its vocabulary is trained;
   * `calibrated`: images whose edge templates this import calibrated (new or changed ones).
   */
  lookup: { ready: boolean; words: number; descriptors: number; needed: number; calibrated: number } | null;
}

type Prepared =
  | { status: 'unchanged'; row: number; id: string }
  | { status: 'write'; row: number; product: ProductWrite; analysed: number; reused: number }
  | { status: 'failed'; failure: RowFailure };

/**
 * Imports a catalog: reads rows, analyses images, writes products batch by batch (one transaction
 * per batch), then updates the ANN index. A bad row or image is skipped and reported; it never
 * aborts the import nor touches what was stored before.
 */
export class IngestService {
  constructor(
    private readonly store: CatalogStore,
    private readonly media: MediaStore,
    private readonly extractor: FeatureExtractor,
    private readonly indexSync: IndexSync,
    private readonly options: IngestServiceOptions,
    /** Product lookup (local features): when given, ingest stores local features and updates the vocabulary. */
    private readonly lookup?: LookupService,
  ) {}

  /** Imports the catalog at `location` (CSV, JSONL or a folder of images). */
  async ingest(location: string, options: IngestOptions = {}): Promise<IngestReport> {
    const started = performance.now();
    const report: IngestReport = {
      catalog: location, rows: 0, created: 0, updated: 0, unchanged: 0, deleted: 0, failed: [],
      imagesAnalysed: 0, imagesReused: 0, durationMs: 0, imagesPerSecond: 0, noChanges: true, lookup: null,
    };
    const seenIds = new Set<string>();
    let processed = 0;
    const progress = (phase: IngestProgress['phase'], lookup?: LookupProgress): void =>
      options.onProgress?.({ rowsRead: report.rows, processed, failed: report.failed.length, phase, ...(lookup ? { lookup } : {}) });

    await this.indexSync.refresh();
    let batch: { row: number; product: ProductInput }[] = [];
    const analysed: AnalysedImages = new Map();
    // A batch is analysed while the previous one is written and indexed: the index update is one
    // synchronous block on this thread, during which decoding and extraction go on in other
    // threads. Commits stay in catalog order, each after the previous one.
    let committing: Promise<void> = Promise.resolve();
    let commitFailure: { error: unknown } | null = null;
    const flush = async (): Promise<void> => {
      if (commitFailure) throw commitFailure.error;
      if (batch.length === 0) return;
      const current = batch;
      batch = [];
      const prepared = await this.analyseBatch(current, analysed);
      committing = committing.then(async () => {
        await this.commitBatch(prepared, report);
        // Stored now (findVectorBySha finds them): the memo only bridges uncommitted batches.
        for (const p of prepared) if (p.status === 'write') for (const img of p.product.images) analysed.delete(img.sha256);
        processed += current.length;
        progress('analysing');
      });
      // Awaited by the end of the import; until then a failure stops the next flush.
      committing.catch((error: unknown) => void (commitFailure ??= { error }));
    };

    for await (const row of readCatalog(location) as AsyncIterable<CatalogRow>) {
      report.rows++;
      if (row.ok) {
        seenIds.add(row.product.id);
        batch.push({ row: row.row, product: row.product });
        if (batch.length >= this.options.batchSize) await flush();
      } else {
        if (row.id) seenIds.add(row.id);
        report.failed.push({ row: row.row, ...(row.id ? { id: row.id } : {}), code: row.code, reason: row.reason });
        processed++;
      }
      if (report.rows % 50 === 0) progress('reading');
    }
    await flush();
    await committing;

    if (options.deleteMissing) {
      progress('deleting');
      const missing = (await this.store.allProductIds()).filter((id) => !seenIds.has(id));
      if (missing.length > 0) report.deleted = await this.delete(missing);
    }
    await this.indexSync.persist();
    // Vocabulary is trained automatically after the first ingest (and retrained when the catalog
    // has doubled since), then new images are quantised; no separate command to forget.
    if (this.lookup) {
      const u = await this.lookup.update((lookup) => progress('lookup', lookup));
      report.lookup = { ready: u.words > 0, words: u.words, descriptors: u.descriptors, needed: u.needed, calibrated: u.calibrated };
    }
    progress('done');
    report.durationMs = performance.now() - started;
    report.imagesPerSecond = report.imagesAnalysed / Math.max(report.durationMs / 1000, 1e-9);
    report.noChanges = report.created + report.updated + report.deleted === 0;
    report.failed.sort((a, b) => a.row - b.row);
    return report;
  }

  /** Deletes products (and their images and vectors) by id; returns how many existed. */
  async delete(ids: string[]): Promise<number> {
    await this.indexSync.refresh();
    const before = await this.store.getVersion();
    const result = await this.store.deleteProducts(ids);
    const after = await this.store.getVersion();
    if (result.deleted.length > 0) {
      await this.indexSync.apply({ added: [], removedKeys: result.removedKeys }, before, after);
      await this.indexSync.persist();
    }
    return result.deleted.length;
  }

  /** Loads and analyses a batch's images, `concurrency` products at a time. */
  private async analyseBatch(batch: { row: number; product: ProductInput }[], analysed: AnalysedImages): Promise<Prepared[]> {
    // Ids are unique within a catalog (the readers reject repeats), so the batch being committed
    // meanwhile never holds one of these products.
    const fingerprints = await this.store.getFingerprints(batch.map((b) => b.product.id));
    return mapPool(batch, this.options.concurrency, (item) =>
      this.prepare(item.row, item.product, fingerprints.get(item.product.id), analysed),
    );
  }

  /** Writes a batch's products in one transaction, then updates the index. */
  private async commitBatch(prepared: Prepared[], report: IngestReport): Promise<void> {
    const writes: ProductWrite[] = [];
    for (const p of prepared) {
      if (p.status === 'failed') report.failed.push(p.failure);
      else if (p.status === 'unchanged') report.unchanged++;
      else {
        writes.push(p.product);
        report.imagesAnalysed += p.analysed;
        report.imagesReused += p.reused;
      }
    }
    if (writes.length === 0) return;
    const before = await this.store.getVersion();
    const result = await this.store.writeProducts(writes);
    const after = await this.store.getVersion();
    report.created += result.created.length;
    report.updated += result.updated.length;
    const vectorByKey = await this.store.getImages(result.addedKeys);
    const bySha = new Map<string, Float32Array>();
    for (const w of writes) for (const img of w.images) bySha.set(img.sha256, img.vector);
    const added = result.addedKeys.flatMap((key) => {
      const img = vectorByKey.get(key);
      const vector = img ? bySha.get(img.sha256) : undefined;
      return vector ? [{ key, vector }] : [];
    });
    await this.indexSync.apply({ added, removedKeys: result.removedKeys }, before, after);
  }

  /**
   * Stores local features for product lookup if they are missing. They are derived data keyed by
   * content: stored before the product, harmless if the product then fails.
   */
  private async ensureLocalFeatures(sha256: string, source: Buffer | RgbImage): Promise<void> {
    if (!this.lookup || (await this.store.hasLocalFeatures([sha256])).has(sha256)) return;
    await this.store.putLocalFeatures([{ sha256, features: await this.lookup.analyseCatalogImage(source) }]);
  }

  /** Loads and analyses one product's images; decides created/updated/unchanged; never throws. */
  private async prepare(row: number, input: ProductInput, storedFingerprint: string | undefined, analysed: AnalysedImages): Promise<Prepared> {
    const loaded: { source: string; bytes: Buffer; sha256: string }[] = [];
    for (const [i, source] of input.images.entries()) {
      try {
        const bytes = await loadImageBytes(source, {
          maxBytes: this.options.limits.maxBytes,
          timeoutMs: this.options.fetchTimeoutMs,
          allowPrivate: true, // the merchant's own catalog may point at an intranet host
        });
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        loaded.push({ source, bytes, sha256 });
      } catch (err) {
        return failed(row, input.id, err, `image ${i + 1} (${source})`);
      }
    }
    const fingerprint = fingerprintOf(input, loaded.map((l) => l.sha256));
    if (storedFingerprint === fingerprint) {
      // Unchanged, but lookup may have been switched on since it was stored.
      for (const [i, img] of loaded.entries()) {
        try {
          await this.ensureLocalFeatures(img.sha256, img.bytes);
        } catch (err) {
          return failed(row, input.id, err, `image ${i + 1} (${img.source})`);
        }
      }
      return { status: 'unchanged', row, id: input.id };
    }

    const images: ImageWrite[] = [];
    let analysedCount = 0;
    let reused = 0;
    for (const [i, img] of loaded.entries()) {
      try {
        // The same picture earlier in this import (perhaps in a batch not committed yet) is
        // analysed once; its result, or its failure, is shared.
        const earlier = analysed.get(img.sha256);
        const known = earlier ? await earlier : await this.store.findVectorBySha(img.sha256);
        if (known && known.vector.length === this.extractor.identity.dimensions && (earlier || (await this.media.has(img.sha256)))) {
          await this.ensureLocalFeatures(img.sha256, img.bytes);
          images.push({ source: img.source, sha256: img.sha256, width: known.width, height: known.height, vector: known.vector });
          reused++;
          continue;
        }
        const analysis = this.analyse(img.sha256, img.bytes);
        analysed.set(img.sha256, analysis);
        const result = await analysis;
        images.push({ source: img.source, sha256: img.sha256, ...result });
        analysedCount++;
      } catch (err) {
        return failed(row, input.id, err, `image ${i + 1} (${img.source})`);
      }
    }
    return {
      status: 'write',
      row,
      analysed: analysedCount,
      reused,
      product: {
        id: input.id, title: input.title, brand: input.brand, category: input.category, price: input.price,
        currency: input.currency, attributes: input.attributes, images, fingerprint,
      },
    };
  }

  /** Vector, size and display copy (stored in media) of one new image; local features too when lookup is on. */
  private async analyse(sha256: string, bytes: Buffer): Promise<AnalysedImage> {
    const embedding = await embedImage(bytes, this.extractor, this.options.limits);
    await this.ensureLocalFeatures(sha256, this.lookup?.catalogSide === ANALYSIS_MAX_SIDE ? embedding.image : bytes);
    // The display copy is encoded from the already decoded (oriented, ≤ 512 px, metadata-free)
    // pixels: one decode per image instead of two.
    await this.media.put(sha256, await encodeDisplayJpeg(embedding.image));
    return { width: embedding.width, height: embedding.height, vector: embedding.vector };
  }
}

interface AnalysedImage {
  width: number;
  height: number;
  vector: Float32Array;
}

/** Analyses started during this import and not committed yet, by image sha256. */
type AnalysedImages = Map<string, Promise<AnalysedImage>>;

function failed(row: number, id: string, err: unknown, what: string): Prepared {
  const e = toAppError(err);
  return { status: 'failed', failure: { row, id, code: e.code, reason: `${what}: ${e.message}` } };
}

/** Stable hash of everything that defines a stored product, including its image contents. */
export function fingerprintOf(input: ProductInput, imageShas: string[]): string {
  const attrs = Object.keys(input.attributes).sort().map((k) => [k, input.attributes[k]]);
  const canonical = JSON.stringify([
    input.id, input.title, input.brand, input.category, input.price, input.currency, attrs, input.images, imageShas,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
