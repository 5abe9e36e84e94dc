import { l2normalize } from '../domain/vector.js';
import { normalizedMutualInformation, purity } from './cluster-metrics.js';
import { kmeans, type Matrix } from './kmeans.js';
import { fitPca, project } from './pca.js';
import { SvmModel, type SvmKernel } from './svm.js';

/** Feature vectors of one split (count × dimensions, row-major) with their class labels. */
export interface LabelledVectors {
  vectors: Float32Array;
  dimensions: number;
  labels: ArrayLike<number>;
}

export interface FashionMnistInsightsOptions {
  /** Train the SVM on the first N training vectors (default: all). RBF training grows ~N². */
  trainLimit?: number;
  kernel?: SvmKernel;
  /** PCA components before the SVM (default 64; 0 = none). */
  pcaComponents?: number;
  seed?: number;
  onPhase?: (phase: string) => void;
}

/** The `insights` part of `shoplens bench fashion-mnist --json`. */
export interface FashionMnistInsightsSection {
  classify: {
    accuracy: number;
    method: string;
    train: number;
    test: number;
    trainSeconds: number;
    predictSeconds: number;
  };
  cluster: {
    k: 10;
    /** k-means on our features (test split). */
    nmi: number;
    purity: number;
    /** Same k-means on L2-normalised raw pixels of the same images. */
    rawNmi: number;
    rawPurity: number;
    images: number;
    seconds: number;
  };
}

function matrix(v: LabelledVectors, limit = Infinity): Matrix {
  const n = Math.min(v.labels.length, limit);
  return { data: v.vectors.subarray(0, n * v.dimensions), n, d: v.dimensions };
}

/** Raw pixels (count × rows·cols bytes) as L2-normalised float vectors: the bench's reference row. */
export function rawPixelVectors(pixels: Uint8Array, count: number, size: number): Float32Array {
  const out = new Float32Array(count * size);
  for (let i = 0; i < count; i++) {
    const v = out.subarray(i * size, (i + 1) * size);
    for (let j = 0; j < size; j++) v[j] = pixels[i * size + j]!;
    l2normalize(v);
  }
  return out;
}

/**
 * classify.accuracy: SVM (LIBSVM, default RBF on 64 PCA components of our features) trained on the
 * training split, scored on the test split. cluster.nmi/purity: k-means (k = 10, k-means++) on our
 * features of the test split against the 10 classes; cluster.rawNmi on raw pixels in the same run.
 */
export async function fashionMnistInsightsSection(
  train: LabelledVectors,
  test: LabelledVectors,
  rawTestPixels: { pixels: Uint8Array; size: number },
  options: FashionMnistInsightsOptions = {},
): Promise<FashionMnistInsightsSection> {
  const seed = options.seed ?? 1;
  const kernel = options.kernel ?? 'rbf';
  const components = options.pcaComponents ?? 64;

  options.onPhase?.('cluster');
  let started = performance.now();
  const testM = matrix(test);
  const ours = kmeans(testM, { k: 10, seed });
  const rawM: Matrix = { data: rawPixelVectors(rawTestPixels.pixels, testM.n, rawTestPixels.size), n: testM.n, d: rawTestPixels.size };
  const raw = kmeans(rawM, { k: 10, seed });
  const clusterSeconds = (performance.now() - started) / 1000;

  options.onPhase?.('classify');
  started = performance.now();
  const trainM = matrix(train, options.trainLimit);
  const pca = components > 0 ? fitPca(trainM, { components, seed }) : null;
  const xTrain = pca ? project(trainM, pca) : trainM;
  const xTest = pca ? project(testM, pca) : testM;
  const svm = await SvmModel.train(xTrain, Array.from(train.labels).slice(0, trainM.n), { kernel });
  const trainSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const predicted = svm.predict(xTest);
  svm.free();
  let correct = 0;
  predicted.forEach((p, i) => {
    if (p.label === test.labels[i]) correct++;
  });
  const predictSeconds = (performance.now() - started) / 1000;
  return {
    classify: {
      accuracy: correct / testM.n,
      method: `libsvm c-svc ${kernel}${pca ? ` on pca-${pca.components}` : ''}`,
      train: trainM.n,
      test: testM.n,
      trainSeconds,
      predictSeconds,
    },
    cluster: {
      k: 10,
      nmi: normalizedMutualInformation(test.labels, ours.assignments),
      purity: purity(test.labels, ours.assignments),
      rawNmi: normalizedMutualInformation(test.labels, raw.assignments),
      rawPurity: purity(test.labels, raw.assignments),
      images: testM.n,
      seconds: clusterSeconds,
    },
  };
}
