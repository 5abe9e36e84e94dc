import { createRequire } from 'node:module';
import type { Matrix } from './kmeans.js';

/**
 * The one module that touches libsvm-js (LIBSVM compiled to WebAssembly). C-SVC with a linear or
 * RBF kernel, one-vs-one for several classes, optional Platt probabilities.
 */

export type SvmKernel = 'linear' | 'rbf';

export interface SvmOptions {
  kernel: SvmKernel;
  /** C. Default 1 (linear) / 10 (RBF). */
  cost?: number;
  /** RBF gamma. Default 1 / (d · mean per-feature variance), LIBSVM's 1/d rule for unscaled features. */
  gamma?: number;
  /** Train Platt-scaled probabilities (5-fold inside LIBSVM: ~5× slower training). */
  probability?: boolean;
  cacheSizeMb?: number;
}

interface LibSvmInstance {
  train(samples: number[][], labels: number[]): void;
  predictOne(sample: number[]): number;
  predictOneProbability(sample: number[]): { prediction: number; estimates: { label: number; probability: number }[] };
  serializeModel(): string;
  free(): void;
}

interface LibSvmClass {
  new (options: Record<string, unknown>): LibSvmInstance;
  load(serialized: string): LibSvmInstance;
  SVM_TYPES: Record<string, string>;
  KERNEL_TYPES: Record<string, string>;
}

let loading: Promise<LibSvmClass> | null = null;

/** libsvm-js resolves its WebAssembly module asynchronously, once per process. */
export function loadLibsvm(): Promise<LibSvmClass> {
  loading ??= (createRequire(import.meta.url)('libsvm-js/wasm') as Promise<LibSvmClass>);
  return loading;
}

function rows(m: Matrix): number[][] {
  const out: number[][] = new Array(m.n);
  for (let i = 0; i < m.n; i++) out[i] = Array.from(m.data.subarray(i * m.d, (i + 1) * m.d));
  return out;
}

/** Mean per-feature variance: the scale LIBSVM's default gamma (1/d) assumes is 1. */
export function meanFeatureVariance(m: Matrix): number {
  const mean = new Float64Array(m.d);
  const sq = new Float64Array(m.d);
  for (let i = 0; i < m.n; i++) {
    for (let j = 0; j < m.d; j++) {
      const v = m.data[i * m.d + j]!;
      mean[j]! += v;
      sq[j]! += v * v;
    }
  }
  let total = 0;
  for (let j = 0; j < m.d; j++) total += sq[j]! / m.n - (mean[j]! / m.n) ** 2;
  return Math.max(total / m.d, 1e-12);
}

/** A trained SVM; `serialized` is LIBSVM's model text (reload with SvmModel.load). */
export class SvmModel {
  private constructor(private readonly svm: LibSvmInstance, readonly probability: boolean) {}

  static async train(m: Matrix, labels: ArrayLike<number>, options: SvmOptions): Promise<SvmModel> {
    const SVM = await loadLibsvm();
    const gamma = options.kernel === 'rbf' ? options.gamma ?? 1 / (m.d * meanFeatureVariance(m)) : undefined;
    const svm = new SVM({
      type: SVM.SVM_TYPES['C_SVC'],
      kernel: options.kernel === 'rbf' ? SVM.KERNEL_TYPES['RBF'] : SVM.KERNEL_TYPES['LINEAR'],
      cost: options.cost ?? (options.kernel === 'rbf' ? 10 : 1),
      ...(gamma !== undefined ? { gamma } : {}),
      probabilityEstimates: Boolean(options.probability),
      cacheSize: options.cacheSizeMb ?? 200,
      quiet: true,
    });
    svm.train(rows(m), Array.from(labels));
    return new SvmModel(svm, Boolean(options.probability));
  }

  static async load(serialized: string, probability: boolean): Promise<SvmModel> {
    const SVM = await loadLibsvm();
    return new SvmModel(SVM.load(serialized), probability);
  }

  serialize(): string {
    return this.svm.serializeModel();
  }

  /** Predicted label per row, with its probability when the model was trained with probabilities. */
  predict(m: Matrix): { label: number; confidence: number | null }[] {
    const out: { label: number; confidence: number | null }[] = [];
    for (let i = 0; i < m.n; i++) {
      const x = Array.from(m.data.subarray(i * m.d, (i + 1) * m.d));
      if (this.probability) {
        const p = this.svm.predictOneProbability(x);
        const conf = p.estimates.find((e) => e.label === p.prediction)?.probability ?? null;
        out.push({ label: p.prediction, confidence: conf });
      } else {
        out.push({ label: this.svm.predictOne(x), confidence: null });
      }
    }
    return out;
  }

  free(): void {
    this.svm.free();
  }
}
