import type { CatalogStore } from '../catalog/catalog-store.js';
import type { ExtractorIdentity } from '../features/feature-extractor.js';
import type { VectorIndex } from './vector-index.js';

/** How IndexSync creates, loads and saves the concrete index (wired in main.ts). */
export interface IndexPersistence {
  /** An empty index. */
  create(): VectorIndex;
  /** The saved index if it was built by `extractor` at exactly `storeVersion`; otherwise why not (rebuild). */
  load(expected: { extractor: ExtractorIdentity; storeVersion: number }): Promise<{ index: VectorIndex } | { index: null; reason: string }>;
  save(index: VectorIndex, meta: { extractor: ExtractorIdentity; storeVersion: number }): Promise<void>;
}

export interface IndexSyncEvents {
  onRebuild?: (info: { reason: string; vectors: number; ms: number }) => void;
}

/**
 * Maps store vectors into the index's space when they differ (a catalog-trained projection on top
 * of the extractor whose vectors the store keeps); absent, the index holds the store's vectors.
 */
export type VectorProjection = (vectors: Float32Array[]) => Promise<Float32Array[]>;

/**
 * Keeps the derived ANN index in step with the catalog store, the single source of truth.
 * The store's version counter is the high-water mark: an index saved at another version
 * (a crash, or another process that ingested meanwhile) is rebuilt from the store's vectors.
 */
export class IndexSync {
  private current: VectorIndex;
  private syncedVersion: number;
  private dirty = false;
  private refreshing: Promise<void> | null = null;

  private constructor(
    private readonly store: CatalogStore,
    private readonly persistence: IndexPersistence,
    private readonly extractor: ExtractorIdentity,
    private readonly events: IndexSyncEvents,
    index: VectorIndex,
    version: number,
    private readonly project: VectorProjection | undefined,
  ) {
    this.current = index;
    this.syncedVersion = version;
  }

  /** Loads the saved index when it matches the store, else rebuilds it from the store. */
  static async open(
    store: CatalogStore,
    persistence: IndexPersistence,
    extractor: ExtractorIdentity,
    events: IndexSyncEvents = {},
    project?: VectorProjection,
  ): Promise<IndexSync> {
    const version = await store.getVersion();
    const loaded = await persistence.load({ extractor, storeVersion: version });
    const sync = new IndexSync(store, persistence, extractor, events, loaded.index ?? persistence.create(), version, project);
    if (!loaded.index) await sync.rebuild(loaded.reason);
    return sync;
  }

  get index(): VectorIndex {
    return this.current;
  }

  /**
   * Makes sure the index reflects every committed store change, including changes made by
   * another process (e.g. `shoplens ingest` while `shoplens serve` runs). Cheap when nothing changed.
   */
  async refresh(): Promise<void> {
    // Concurrent requests share one refresh, so a store change triggers one reload, not one per request.
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const version = await this.store.getVersion();
    if (version === this.syncedVersion) return;
    const loaded = await this.persistence.load({ extractor: this.extractor, storeVersion: version });
    if (loaded.index) {
      this.current = loaded.index;
      this.syncedVersion = version;
      this.dirty = false;
      return;
    }
    await this.rebuild(`catalog store changed (version ${this.syncedVersion} → ${version})`);
  }

  /**
   * Applies this process's own committed write. `versionAfter` is the store version read right
   * after the commit; if anything else committed in between, the index is rebuilt instead.
   */
  async apply(
    change: { added: { key: number; vector: Float32Array }[]; removedKeys: number[] },
    versionBefore: number,
    versionAfter: number,
  ): Promise<void> {
    // Projected before the checks, so the checks and the update run without an await between them.
    const vectors = change.added.map((a) => a.vector);
    const indexVectors = this.project && vectors.length > 0 ? await this.project(vectors) : vectors;
    if (versionBefore !== this.syncedVersion || versionAfter !== versionBefore + 1) {
      await this.rebuild('concurrent change to the catalog store');
      return;
    }
    if (change.removedKeys.length > 0) this.current.remove(change.removedKeys);
    if (change.added.length > 0) {
      this.current.upsert(change.added.map((a) => a.key), indexVectors);
    }
    this.syncedVersion = versionAfter;
    this.dirty = true;
  }

  /** Rebuilds the index from every vector in the store. */
  async rebuild(reason: string): Promise<void> {
    const started = performance.now();
    const version = await this.store.getVersion();
    const index = this.persistence.create();
    for await (const batch of this.store.iterateVectors(4096)) {
      index.upsert(batch.keys, this.project ? await this.project(batch.vectors) : batch.vectors);
    }
    this.current = index;
    this.syncedVersion = version;
    this.dirty = true;
    this.events.onRebuild?.({ reason, vectors: index.size(), ms: performance.now() - started });
    await this.persist();
  }

  /** Saves the index with the store version it reflects, if it changed since the last save. */
  async persist(): Promise<void> {
    if (!this.dirty) return;
    await this.persistence.save(this.current, { extractor: this.extractor, storeVersion: this.syncedVersion });
    this.dirty = false;
  }
}
