import type { CatalogStore } from '../catalog/catalog-store.js';
import { AppError } from '../domain/errors.js';
import { seededRandom } from '../eval/random.js';
import { loadCatalogVectors } from './catalog-vectors.js';
import { dotAt, row, type Matrix } from './kmeans.js';
import { fitPca, project, type PcaModel } from './pca.js';
import { SvmModel } from './svm.js';

export type ClassifierMethod = 'svm-linear' | 'svm-rbf' | 'knn';

export interface TrainOptions {
  method?: ClassifierMethod;
  /** PCA components before the classifier (default 64; 0 = the full vectors). */
  pcaComponents?: number;
  /** Folds for the out-of-fold accuracy and the mis-categorised report (default 5). */
  folds?: number;
  /** Neighbours for knn (default 10). */
  neighbors?: number;
  seed?: number;
}

export interface Suggestion {
  productId: string;
  title: string;
  /** The catalog's category (null when it has none). */
  category: string | null;
  predicted: string;
  /** Probability of the predicted category (SVM: Platt scaling; kNN: share of the neighbours' votes). */
  confidence: number;
}

export interface ClassifierReport {
  method: ClassifierMethod;
  pcaComponents: number;
  classes: { name: string; count: number }[];
  /** Labelled products used for training. */
  trained: number;
  /** Out-of-fold accuracy: each labelled product predicted by a model trained without it. */
  accuracy: number;
  folds: number;
  seconds: number;
  trainedAt: string;
  /** Suggestions for products without a category. */
  suggestions: Suggestion[];
  /** Labelled products whose out-of-fold prediction confidently disagrees with their category. */
  possiblyMiscategorised: Suggestion[];
}

/** Confidence above which a disagreement is reported as possibly mis-categorised. */
export const MISCATEGORISED_CONFIDENCE = 0.8;
const REPORT_META = 'insights.classifier';
const MIN_PER_CLASS = 2;

interface Fitted {
  predict(x: Matrix): { label: number; confidence: number }[];
  free(): void;
}

/**
 * Auto-categories: a classifier from product images to catalog categories (LIBSVM C-SVC with a
 * linear or RBF kernel, or kNN), trained on the products that have a category, on their primary
 * image's vector (PCA-reduced). Suggests categories for uncategorised products and flags products
 * whose catalog category a held-out model confidently contradicts.
 */
export class ClassificationService {
  constructor(private readonly store: CatalogStore) {}

  /** Trains, evaluates out-of-fold, predicts the uncategorised products; stores the report. */
  async train(options: TrainOptions = {}): Promise<ClassifierReport> {
    const started = performance.now();
    const method = options.method ?? 'svm-rbf';
    const folds = options.folds ?? 5;
    const seed = options.seed ?? 1;
    if (!['svm-linear', 'svm-rbf', 'knn'].includes(method)) {
      throw new AppError('INVALID_PARAMETER', `method must be svm-linear, svm-rbf or knn, got "${method}"`);
    }
    if (!Number.isInteger(folds) || folds < 2 || folds > 20) throw new AppError('INVALID_PARAMETER', 'folds must be an integer from 2 to 20');
    const { matrix, images, products } = await loadCatalogVectors(this.store, { primaryOnly: true });

    const counts = new Map<string, number>();
    for (const img of images) {
      const c = products.get(img.productId)?.category;
      if (c) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const classes = [...counts.entries()].filter(([, n]) => n >= MIN_PER_CLASS).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    if (classes.length < 2) {
      throw new AppError('INVALID_PARAMETER', `classification needs at least 2 categories with ${MIN_PER_CLASS}+ products each; found ${classes.length}`);
    }
    const classIndex = new Map(classes.map(([name], i) => [name, i]));
    const labelled: number[] = [];
    const unlabelled: number[] = [];
    images.forEach((img, i) => {
      const c = products.get(img.productId)?.category;
      if (c === null || c === undefined) unlabelled.push(i);
      else if (classIndex.has(c)) labelled.push(i);
    });

    const components = Math.min(options.pcaComponents ?? 64, matrix.d);
    const pca: PcaModel | null = components > 0 && components < matrix.d ? fitPca(matrix, { components, seed }) : null;
    const x = pca ? project(matrix, pca) : matrix;
    const y = labelled.map((i) => classIndex.get(products.get(images[i]!.productId)!.category!)!);
    const fit = (rows: number[], labels: number[]) => this.fit(method, subset(x, rows), labels, options.neighbors ?? 10);

    // Out-of-fold predictions: every labelled product judged by a model that never saw it.
    const rand = seededRandom(seed);
    const fold = labelled.map(() => Math.floor(rand() * folds));
    const oof: { label: number; confidence: number }[] = new Array(labelled.length);
    for (let f = 0; f < folds; f++) {
      const trainRows: number[] = [], trainLabels: number[] = [], testPos: number[] = [];
      labelled.forEach((r, j) => {
        if (fold[j] === f) testPos.push(j);
        else {
          trainRows.push(r);
          trainLabels.push(y[j]!);
        }
      });
      if (testPos.length === 0 || new Set(trainLabels).size < 2) continue;
      const model = await fit(trainRows, trainLabels);
      const pred = model.predict(subset(x, testPos.map((j) => labelled[j]!)));
      model.free();
      testPos.forEach((j, t) => (oof[j] = pred[t]!));
    }
    let correct = 0, judged = 0;
    const miscategorised: Suggestion[] = [];
    labelled.forEach((r, j) => {
      const p = oof[j];
      if (!p) return;
      judged++;
      if (p.label === y[j]) correct++;
      else if (p.confidence >= MISCATEGORISED_CONFIDENCE) miscategorised.push(this.suggestion(images[r]!.productId, products, classes[p.label]![0], p.confidence));
    });

    const full = await fit(labelled, y);
    const predicted = unlabelled.length > 0 ? full.predict(subset(x, unlabelled)) : [];
    full.free();
    const suggestions = unlabelled.map((r, t) => this.suggestion(images[r]!.productId, products, classes[predicted[t]!.label]![0], predicted[t]!.confidence));

    const report: ClassifierReport = {
      method,
      pcaComponents: pca ? pca.components : 0,
      classes: classes.map(([name, count]) => ({ name, count })),
      trained: labelled.length,
      accuracy: judged > 0 ? correct / judged : 0,
      folds,
      seconds: (performance.now() - started) / 1000,
      trainedAt: new Date().toISOString(),
      suggestions: suggestions.sort((a, b) => b.confidence - a.confidence),
      possiblyMiscategorised: miscategorised.sort((a, b) => b.confidence - a.confidence),
    };
    await this.store.setMeta(REPORT_META, JSON.stringify(report));
    return report;
  }

  /** The last stored report, or null when no classifier was trained. */
  async latest(): Promise<ClassifierReport | null> {
    const raw = await this.store.getMeta(REPORT_META);
    return raw ? (JSON.parse(raw) as ClassifierReport) : null;
  }

  private suggestion(productId: string, products: Map<string, { title: string; category: string | null }>, predicted: string, confidence: number): Suggestion {
    const p = products.get(productId);
    return { productId, title: p?.title ?? productId, category: p?.category ?? null, predicted, confidence: Math.round(confidence * 1e4) / 1e4 };
  }

  private async fit(method: ClassifierMethod, x: Matrix, labels: number[], neighbors: number): Promise<Fitted> {
    if (method === 'knn') return knn(x, labels, neighbors);
    const svm = await SvmModel.train(x, labels, { kernel: method === 'svm-rbf' ? 'rbf' : 'linear', probability: true });
    return {
      predict: (q) => svm.predict(q).map((p) => ({ label: p.label, confidence: p.confidence ?? 0 })),
      free: () => svm.free(),
    };
  }
}

function subset(m: Matrix, rows: number[]): Matrix {
  const data = new Float32Array(rows.length * m.d);
  rows.forEach((r, i) => data.set(row(m, r), i * m.d));
  return { data, n: rows.length, d: m.d };
}

/** k nearest neighbours by cosine similarity; confidence = the winning class's share of the votes. */
function knn(train: Matrix, labels: number[], k: number): Fitted {
  const norms = new Float64Array(train.n);
  for (let i = 0; i < train.n; i++) norms[i] = Math.sqrt(dotAt(train.data, i * train.d, train.data, i * train.d, train.d)) || 1;
  return {
    predict(q) {
      const out: { label: number; confidence: number }[] = [];
      for (let i = 0; i < q.n; i++) {
        const qn = Math.sqrt(dotAt(q.data, i * q.d, q.data, i * q.d, q.d)) || 1;
        const sims: { s: number; l: number }[] = [];
        for (let j = 0; j < train.n; j++) sims.push({ s: dotAt(q.data, i * q.d, train.data, j * train.d, q.d) / (qn * norms[j]!), l: labels[j]! });
        sims.sort((a, b) => b.s - a.s);
        const votes = new Map<number, number>();
        const top = sims.slice(0, Math.min(k, sims.length));
        for (const t of top) votes.set(t.l, (votes.get(t.l) ?? 0) + 1);
        const [label, count] = [...votes.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]!;
        out.push({ label, confidence: count / top.length });
      }
      return out;
    },
    free() {},
  };
}
