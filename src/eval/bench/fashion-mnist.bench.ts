import { availableParallelism, cpus, loadavg } from 'node:os';
import { AppError } from '../../domain/errors.js';
import { DEFAULT_FASHION_MNIST_DIR, readFashionMnist, takeFirst, type LabelledImages } from '../datasets/fashion-mnist.reader.js';
import { benchExtractorNames, isBenchExtractor, REFERENCE_EXTRACTOR } from './bench-extractors.js';
import { BenchWorker } from './bench-pool.js';
import { adaptedDimensions, applyAdaptation, fitAdaptation } from '../../features/adapted/adaptation.js';
import { applyProjection, fitProjection, type TrainingOptions } from '../../features/trained/projection.js';
import { emptyTotals, mergeTotals, metricsOf, type RetrievalMetrics, type RetrievalTotals } from './exact-ranking.js';

export interface FashionMnistBenchOptions {
  /** Folder with the four IDX files (gzip'd or not); default: where Debian installs them. */
  dir?: string;
  /** Row names to run (default: all, reference first); see benchExtractorNames(). */
  extractors?: string[];
  /** Use only the first N test images as queries. */
  limitQueries?: number;
  /** Use only the first N training images as the catalog. */
  limitCatalog?: number;
  /** Worker threads (default: min(2, available cores)). */
  threads?: number;
  onProgress?: (p: BenchProgress) => void;
  /** Called once per row after it is measured, with its vectors (catalog rows, then query rows); later sections reuse them. */
  onRowVectors?: (row: RowVectors) => Promise<void> | void;
}

/** A row's feature vectors: catalog.count + queries.count rows of `dimensions` floats. */
export interface RowVectors {
  extractor: string;
  dimensions: number;
  vectors: Float32Array;
  catalog: LabelledImages;
  queries: LabelledImages;
}

export interface BenchProgress {
  extractor: string;
  phase: 'extract' | 'pca' | 'train' | 'graph' | 'diffusion' | 'anchors' | 'rank';
  done: number;
  total: number;
}

/** One row: an extractor's retrieval quality with catalog = train split, queries = test split. */
export interface BenchRow extends RetrievalMetrics {
  extractor: string;
  dimensions: number;
  /** Wall time for this row: feature extraction of every image plus the exact search. */
  seconds: number;
  /** Trained / adapted rows only: the row whose vectors they map (their extraction is timed in that row). */
  base?: string;
  /** Trained / adapted rows only: fitting the map on the catalog (training split; labels for trained only). */
  trainingSeconds?: number;
  /** Trained / adapted rows only: the process's peak resident memory (MB) when fitting ended. */
  peakMemoryMb?: number;
}

/**
 * The catalog-trained projection (shoplens train's code) on the `default` row's vectors: fitted
 * on the catalog images with their labels only, then applied to the catalog and the queries.
 */
export const TRAINED_ROW = 'trained';
/**
 * The label-free catalog adaptation (shoplens adapt's code) on the `default` row's vectors: fitted
 * on the catalog images alone (labels unused), then applied to the catalog and the queries.
 */
export const ADAPTED_ROW = 'default-adapted';
const TRAINED_BASE = 'default';
/** The training recipe of the bench row: shoplens train's defaults. */
const TRAINED_OPTIONS: TrainingOptions = {};

/** Row names the bench runs by default, reference first. */
export function fashionMnistRowNames(): string[] {
  return [...benchExtractorNames(), ADAPTED_ROW, TRAINED_ROW];
}

/** The `shoplens bench fashion-mnist --json` document; later benches add sections next to `results`. */
export interface FashionMnistBenchReport {
  dataset: 'fashion-mnist';
  dir: string;
  catalog: number;
  queries: number;
  similarity: 'cosine';
  relevant: 'same category';
  threads: number;
  /** Where the seconds were measured: CPU, cores, Node, and the 1-minute load average at the start (other work slows rows down). */
  machine: { cpu: string; cores: number; node: string; loadAverage: number };
  results: BenchRow[];
}

const EXTRACT_CHUNK = 1000;

/**
 * Fashion-MNIST retrieval bench: every test image queries the whole training set by exact cosine
 * ranking; relevant = same category. Reports mAP over all relevant items, P@10, top-1 and kNN-10
 * accuracy for the raw-pixel reference and each extractor.
 */
export async function runFashionMnistBench(options: FashionMnistBenchOptions = {}): Promise<FashionMnistBenchReport> {
  const names = options.extractors ?? fashionMnistRowNames();
  const unknown = names.filter((n) => !isBenchExtractor(n) && n !== TRAINED_ROW && n !== ADAPTED_ROW);
  if (unknown.length > 0 || names.length === 0) {
    throw new AppError('INVALID_PARAMETER', `unknown extractor ${unknown.join(', ') || '(none given)'}: choose from ${fashionMnistRowNames().join(', ')}`, {
      details: { unknown, available: fashionMnistRowNames() },
    });
  }
  for (const [flag, value] of [['limit-queries', options.limitQueries], ['limit-catalog', options.limitCatalog]] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new AppError('INVALID_PARAMETER', `--${flag} must be a positive integer, got ${value}`);
    }
  }
  const dir = options.dir ?? DEFAULT_FASHION_MNIST_DIR;
  const data = await readFashionMnist(dir);
  const catalog = takeFirst(data.train, options.limitCatalog ?? data.train.count);
  const queries = takeFirst(data.test, options.limitQueries ?? data.test.count);
  const threads = Math.max(1, Math.min(options.threads ?? Math.min(2, availableParallelism()), queries.count));

  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version, loadAverage: Math.round(loadavg()[0]! * 100) / 100 };
  const workers = Array.from({ length: threads }, () => new BenchWorker());
  try {
    const results: BenchRow[] = [];
    // The trained and adapted rows reuse the base row's vectors of this run (extracted once); without that row it extracts them itself.
    let base: RowVectors | undefined;
    for (const name of names) {
      if (name === TRAINED_ROW || name === ADAPTED_ROW) {
        results.push(await (name === TRAINED_ROW ? trainedRow : adaptedRow)(base, catalog, queries, workers, options.onProgress));
        continue;
      }
      results.push(await benchRow(name, catalog, queries, workers, options.onProgress, async (row) => {
        if (row.extractor === TRAINED_BASE) base = row;
        await options.onRowVectors?.(row);
      }));
    }
    return { dataset: 'fashion-mnist', dir, catalog: catalog.count, queries: queries.count, similarity: 'cosine', relevant: 'same category', threads, machine, results };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

async function benchRow(
  name: string, catalog: LabelledImages, queries: LabelledImages, workers: BenchWorker[], onProgress?: (p: BenchProgress) => void,
  onRowVectors?: (row: RowVectors) => Promise<void> | void,
): Promise<BenchRow> {
  const started = performance.now();
  const { vectors, dimensions } = await extractAll(name, catalog, queries, workers, onProgress);
  const totals = await rankAll(name, vectors, dimensions, catalog, queries, workers, onProgress);
  const row = { extractor: name, dimensions, ...metricsOf(totals), seconds: (performance.now() - started) / 1000 };
  await onRowVectors?.({ extractor: name, dimensions, vectors, catalog, queries });
  return row;
}

/** The trained row: fit on the catalog's vectors and labels, project catalog and queries, rank. */
function trainedRow(
  base: RowVectors | undefined, catalog: LabelledImages, queries: LabelledImages, workers: BenchWorker[], onProgress?: (p: BenchProgress) => void,
): Promise<BenchRow> {
  return mappedRow(TRAINED_ROW, base, catalog, queries, workers, onProgress, async (vectors, d) => {
    const fitted = await fitProjection(
      { vectors, count: catalog.count, dimensions: d, labels: Int32Array.from(catalog.labels), classes: catalog.labels.reduce((m, l) => Math.max(m, l + 1), 0) },
      TRAINED_OPTIONS,
      (p) => onProgress?.({ extractor: TRAINED_ROW, phase: p.phase, done: p.done, total: p.total }),
    );
    return { seconds: fitted.seconds, dimensions: fitted.model.outputDimensions, apply: (all, count) => applyProjection(fitted.model, all, count) };
  });
}

/** The adapted row: fit on the catalog's vectors only (no labels), adapt catalog and queries, rank. */
function adaptedRow(
  base: RowVectors | undefined, catalog: LabelledImages, queries: LabelledImages, workers: BenchWorker[], onProgress?: (p: BenchProgress) => void,
): Promise<BenchRow> {
  return mappedRow(ADAPTED_ROW, base, catalog, queries, workers, onProgress, async (vectors, d) => {
    const fitted = await fitAdaptation({ vectors, count: catalog.count, dimensions: d }, {}, (p) => onProgress?.({ extractor: ADAPTED_ROW, phase: p.phase, done: p.done, total: p.total }));
    return { seconds: fitted.seconds, dimensions: adaptedDimensions(fitted.model), apply: (all, count) => applyAdaptation(fitted.model, all, count) };
  });
}

/** A row whose vectors are a catalog-fitted map of the `default` row's: fit on the catalog rows, map every row, rank. */
async function mappedRow(
  name: string, base: RowVectors | undefined, catalog: LabelledImages, queries: LabelledImages, workers: BenchWorker[],
  onProgress: ((p: BenchProgress) => void) | undefined,
  fit: (catalogVectors: Float32Array, dimensions: number) => Promise<{ seconds: number; dimensions: number; apply: (vectors: Float32Array, count: number) => Promise<Float32Array> }>,
): Promise<BenchRow> {
  const started = performance.now();
  const input = base ?? { extractor: TRAINED_BASE, ...(await extractAll(TRAINED_BASE, catalog, queries, workers, onProgress)) };
  const d = input.dimensions;
  const fitted = await fit(input.vectors.subarray(0, catalog.count * d), d);
  const peakMemoryMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const total = catalog.count + queries.count;
  const mapped = await fitted.apply(input.vectors.subarray(0, total * d), total);
  const vectors = new Float32Array(new SharedArrayBuffer(mapped.byteLength));
  vectors.set(mapped);
  const totals = await rankAll(name, vectors, fitted.dimensions, catalog, queries, workers, onProgress);
  return {
    extractor: name, dimensions: fitted.dimensions, ...metricsOf(totals), seconds: (performance.now() - started) / 1000,
    base: input.extractor, trainingSeconds: fitted.seconds, peakMemoryMb,
  };
}

/** Every catalog and query image through extractor `name`, in worker threads; vectors catalog rows first, shared. */
async function extractAll(
  name: string, catalog: LabelledImages, queries: LabelledImages, workers: BenchWorker[], onProgress?: (p: BenchProgress) => void,
): Promise<{ vectors: Float32Array; dimensions: number }> {
  const { rows, cols } = catalog;
  const size = rows * cols;
  const total = catalog.count + queries.count;

  // Extraction: catalog then queries as one list of images, in chunks pulled by whichever worker is free.
  const chunks: { split: LabelledImages; start: number; count: number; offset: number }[] = [];
  for (const [split, offset] of [[catalog, 0], [queries, catalog.count]] as const) {
    for (let start = 0; start < split.count; start += EXTRACT_CHUNK) chunks.push({ split, start, count: Math.min(EXTRACT_CHUNK, split.count - start), offset });
  }
  let dimensions = 0;
  let vectors: Float32Array | undefined;
  let extracted = 0;
  let next = 0;
  await Promise.all(workers.map(async (w) => {
    while (next < chunks.length) {
      const c = chunks[next++]!;
      const reply = await w.request({ type: 'extract', extractor: name, pixels: c.split.pixels.slice(c.start * size, (c.start + c.count) * size), count: c.count, rows, cols });
      if (reply.type !== 'features') throw new Error(`unexpected reply ${reply.type}`);
      if (!vectors) {
        dimensions = reply.dimensions;
        // Shared so every worker reads the catalog without a copy per message.
        vectors = new Float32Array(new SharedArrayBuffer(total * dimensions * 4));
      }
      vectors.set(reply.features, (c.offset + c.start) * dimensions);
      extracted += c.count;
      onProgress?.({ extractor: name, phase: 'extract', done: extracted, total });
    }
  }));
  if (!vectors) throw new Error('no vectors extracted');
  return { vectors, dimensions };
}

/** Exact ranking of every query against the catalog (vectors: catalog rows then query rows), in worker threads. */
async function rankAll(
  name: string, vectors: Float32Array, dimensions: number, catalog: LabelledImages, queries: LabelledImages, workers: BenchWorker[],
  onProgress?: (p: BenchProgress) => void,
): Promise<RetrievalTotals> {
  const catalogVectors = vectors.subarray(0, catalog.count * dimensions);
  const catalogLabels = new Uint8Array(new SharedArrayBuffer(catalog.count));
  catalogLabels.set(catalog.labels);
  await Promise.all(workers.map((w) => w.request({ type: 'catalog', vectors: catalogVectors, dimensions, labels: catalogLabels })));

  // Ranking: queries split into one contiguous share per worker.
  const share = Math.ceil(queries.count / workers.length);
  const done = workers.map(() => 0);
  const parts = await Promise.all(workers.map(async (w, i) => {
    const start = i * share;
    const end = Math.min(queries.count, start + share);
    if (start >= end) return emptyTotals();
    const reply = await w.request(
      { type: 'rank', vectors: vectors.subarray((catalog.count + start) * dimensions, (catalog.count + end) * dimensions), labels: queries.labels.slice(start, end) },
      (d) => {
        done[i] = d;
        onProgress?.({ extractor: name, phase: 'rank', done: done.reduce((a, b) => a + b, 0), total: queries.count });
      },
    );
    if (reply.type !== 'totals') throw new Error(`unexpected reply ${reply.type}`);
    return reply.totals;
  }));
  return parts.reduce(mergeTotals, emptyTotals());
}

export { REFERENCE_EXTRACTOR };
