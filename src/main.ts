import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Config } from './config/config.js';
import type { CatalogStore } from './catalog/catalog-store.js';
import { MediaStore } from './catalog/media-store.js';
import { SqliteCatalogStore } from './catalog/sqlite/sqlite.catalog-store.js';
import { AppError } from './domain/errors.js';
import { createDefaultExtractor } from './features/classic/default.extractor.js';
import { poolDefaultExtractor, type PooledExtractor } from './features/extract-pool.js';
import { HybridExtractor, parseExtractorSpec, type HybridPart } from './features/hybrid/hybrid.extractor.js';
import { identityKey, type FeatureExtractor } from './features/feature-extractor.js';
import { ModelStore } from './features/onnx/model-store.js';
import { ONNX_PREFIX, OnnxImageExtractor } from './features/onnx/onnx-image.extractor.js';
import type { TextEmbedder } from './features/text/text-embedder.js';
import { withProjectedVectors } from './features/projected-store.js';
import { openTrainedExtractor } from './features/trained/trained.extractor.js';
import { openAdaptedExtractor } from './features/adapted/adapted.extractor.js';
import { createIndexPersistence } from './index/index-persistence.js';
import { IndexSync, type IndexSyncEvents } from './index/index-sync.js';
import { IngestService } from './ingest/ingest.service.js';
import { SearchService } from './search/search.service.js';
import { useNativeOrb } from './features/local/opencv.js';
import { LookupService } from './search/lookup/lookup.service.js';

/** Everything a command or the HTTP server needs, built from one validated config. */
export interface Shoplens {
  config: Config;
  store: CatalogStore;
  media: MediaStore;
  extractor: FeatureExtractor;
  /** Text queries in the extractor's space (CLIP-class ONNX models); null when the extractor has no text tower. */
  text: TextEmbedder | null;
  indexSync: IndexSync;
  ingest: IngestService;
  search: SearchService;
  /** Product lookup by local features; null when it is off (`localFeatures`, or the data directory's setting). */
  lookup: LookupService | null;
  close(): Promise<void>;
}

export interface OpenOptions {
  events?: IndexSyncEvents;
  /** Use this extractor instead of the default (tests use it to pin identities). */
  extractor?: FeatureExtractor;
}

const EXTRACTOR_META = 'extractor';
/** The nsfwjs MobileNetV2 backbone's name (its module loads TensorFlow.js, so it is imported only when chosen). */
const NSFWJS_NAME = 'nsfwjs-mobilenet-v2';

/** Composition root: builds adapters and hands them to services. No DI container. */
export async function openShoplens(config: Config, options: OpenOptions = {}): Promise<Shoplens> {
  mkdirSync(config.dataDir, { recursive: true });
  const store = SqliteCatalogStore.open(path.join(config.dataDir, 'catalog.sqlite'));
  let extractor: FeatureExtractor | undefined;
  try {
    extractor = options.extractor ?? (await openExtractor(config));
    const text = extractor instanceof OnnxImageExtractor || extractor instanceof HybridExtractor ? extractor.text : null;
    await checkExtractor(store, extractor);
    // A catalog-fitted map on top of it — the trained projection (shoplens train, from categories)
    // or else the label-free adaptation (shoplens adapt): the store keeps the base vectors, the index
    // and every query live in the mapped space under the map's identity.
    const projection = (await openTrainedExtractor(config.dataDir, extractor)) ?? (await openAdaptedExtractor(config.dataDir, extractor));
    // The default extractor is plain TypeScript: ingest and search run it in worker threads.
    const pooled = options.extractor ? null : poolExtractor(extractor, config.extractThreads);
    const analysis = pooled?.extractor ?? extractor;
    const mapped = projection?.withBase(analysis) ?? null;
    const indexed = mapped ?? extractor;
    const media = new MediaStore(path.join(config.dataDir, 'media'));
    const limits = { maxPixels: config.maxImagePixels, maxBytes: config.maxImageBytes };
    // usearch-i8 re-ranks its candidates with the store's float32 vectors; under a catalog-fitted map
    // the store holds base vectors (another space), so the mapped i8 index goes without.
    const persistence = createIndexPersistence(path.join(config.dataDir, 'index'), config.indexKind, indexed.identity, {
      ...(mapped ? {} : { rerankSource: (keys: readonly number[]) => store.vectorsByKeysSync(keys), rerank: { minCandidates: config.rerankCandidates } }),
    });
    const indexSync = await IndexSync.open(store, persistence, indexed.identity, options.events, mapped ? (vs) => mapped.projectAll(vs) : undefined);
    useNativeOrb(config.nativeOrb);
    const lookup = (await lookupWanted(config.localFeatures, store))
      ? new LookupService(store, { limits, vocabularyPath: path.join(config.dataDir, 'lookup-vocabulary.bin'), maxRotation: config.lookupMaxRotation }, media)
      : null;
    await lookup?.open();
    const ingest = new IngestService(store, media, analysis, indexSync, {
      limits,
      fetchTimeoutMs: config.fetchTimeoutMs,
      batchSize: config.ingestBatchSize,
      concurrency: config.ingestConcurrency,
    }, lookup ?? undefined);
    const search = new SearchService(mapped ? withProjectedVectors(store, mapped) : store, mapped ?? analysis, indexSync, {
      limits,
      fetchTimeoutMs: config.fetchTimeoutMs,
      allowPrivateUrls: config.allowPrivateUrls,
      // Text embeddings live in the base model's space, not in the mapped one.
      text: mapped ? null : text,
    }, lookup ?? undefined);
    const opened = extractor;
    return {
      config, store, media, extractor: indexed, text: mapped ? null : text, indexSync, ingest, search, lookup,
      async close() {
        await pooled?.close();
        await lookup?.close();
        await indexSync.persist();
        await store.close();
        if (!options.extractor) await closeExtractor(opened);
      },
    };
  } catch (err) {
    await store.close();
    if (!options.extractor && extractor) await closeExtractor(extractor);
    throw err;
  }
}

/** Store meta key of the data directory's product lookup setting ("on" / "off"), written by `ingest --lookup / --no-lookup`. */
export const LOOKUP_SETTING_META = 'lookup.enabled';

/**
 * Whether product lookup runs: as forced for this process (true / false), else ("auto") as the data
 * directory says: its recorded setting, or, for a catalog ingested with SHOPLENS_LOCAL_FEATURES=true
 * before the setting was recorded, whether it holds local features.
 */
async function lookupWanted(setting: Config['localFeatures'], store: CatalogStore): Promise<boolean> {
  if (setting !== 'auto') return setting;
  const recorded = await store.getMeta(LOOKUP_SETTING_META);
  if (recorded !== null) return recorded === 'on';
  for await (const batch of store.iterateLocalFeatures(1)) return batch.length > 0;
  return false;
}

/** Records the data directory's product lookup setting, which "auto" follows from then on. */
export async function recordLookupSetting(store: CatalogStore, on: boolean): Promise<void> {
  await store.setMeta(LOOKUP_SETTING_META, on ? 'on' : 'off');
}

/**
 * The extractor named by `config.extractor`: "default", "nsfwjs-mobilenet-v2", "onnx:<model>"
 * (installed, never downloaded here), or a hybrid of several ("onnx:clip-vit-b32*2+default").
 */
async function openExtractor(config: Config): Promise<FeatureExtractor> {
  const terms = parseExtractorSpec(config.extractor);
  if (terms.length === 1) return openNamedExtractor(config, terms[0]!.name);
  const parts: HybridPart[] = [];
  try {
    for (const t of terms) parts.push({ extractor: await openNamedExtractor(config, t.name), weight: t.weight });
    return new HybridExtractor(parts, (e) => (e instanceof OnnxImageExtractor ? e.text : null));
  } catch (err) {
    await Promise.all(parts.map((p) => closeExtractor(p.extractor)));
    throw err;
  }
}

async function openNamedExtractor(config: Config, name: string): Promise<FeatureExtractor> {
  if (name === 'default') return createDefaultExtractor();
  if (name === NSFWJS_NAME) return (await import('./features/tfjs/nsfwjs.extractor.js')).NsfwjsMobileNetExtractor.create();
  if (name.startsWith(ONNX_PREFIX)) {
    return OnnxImageExtractor.open(new ModelStore(config.modelsDir), name.slice(ONNX_PREFIX.length), {
      workers: config.onnxWorkers,
      threadsPerWorker: config.onnxThreads,
    });
  }
  throw new AppError('INVALID_CONFIG', `Unknown extractor "${name}" (SHOPLENS_EXTRACTOR): use "default", "${NSFWJS_NAME}", "onnx:<model>" or a hybrid joined by +`, {
    details: { extractor: config.extractor },
  });
}

/** Extractors holding worker threads or sessions (ONNX, hybrids of them) are closed; others have nothing to close. */
async function closeExtractor(extractor: FeatureExtractor): Promise<void> {
  await (extractor as Partial<{ close(): Promise<void> }>).close?.();
}

/** The default extractor, alone or as a hybrid's part, runs in worker threads; null when nothing is pooled. */
function poolExtractor(extractor: FeatureExtractor, threads: number): { extractor: FeatureExtractor; close(): Promise<void> } | null {
  if (!(extractor instanceof HybridExtractor)) {
    const pooled = poolDefaultExtractor(extractor, threads);
    return pooled ? { extractor: pooled, close: () => pooled.close() } : null;
  }
  const pools: PooledExtractor[] = [];
  const hybrid = extractor.withExtractors((e) => {
    const pooled = poolDefaultExtractor(e, threads);
    if (pooled) pools.push(pooled);
    return pooled ?? e;
  });
  return pools.length > 0 ? { extractor: hybrid, close: async () => { await Promise.all(pools.map((p) => p.close())); } } : null;
}

/** Refuses to mix vectors from different extractors in one data directory. */
async function checkExtractor(store: CatalogStore, extractor: FeatureExtractor): Promise<void> {
  const wanted = identityKey(extractor.identity);
  const stored = await store.getMeta(EXTRACTOR_META);
  if (stored === null) {
    await store.setMeta(EXTRACTOR_META, wanted);
    return;
  }
  if (stored !== wanted) {
    const { images } = await store.stats();
    if (images === 0) {
      await store.setMeta(EXTRACTOR_META, wanted);
      return;
    }
    throw new AppError(
      'EXTRACTOR_MISMATCH',
      `This data directory holds vectors from extractor ${stored}, but ${wanted} is configured. ` +
        'Use a new --data directory, or delete the old one and ingest again.',
      { details: { stored, configured: wanted } },
    );
  }
}
