import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { AppError, isAppError } from '../../domain/errors.js';

/**
 * The one module that touches onnxruntime (DESIGN.md §9). It is loaded inside the encoder
 * workers: onnxruntime-node's `run` executes synchronously on the calling thread, so a session on
 * the main thread would block every HTTP request for the length of a batch.
 */

export interface SessionOptions {
  /** onnxruntime intra-op threads for this session. */
  threads: number;
}

export interface FloatOutput {
  data: Float32Array;
  dims: number[];
}

export class OnnxSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly file: string,
  ) {}

  static async open(file: string, options: SessionOptions): Promise<OnnxSession> {
    if (!existsSync(file)) {
      throw new AppError('MODEL_NOT_INSTALLED', `Model file ${file} is missing`, { details: { file } });
    }
    return OnnxSession.create(file, file, options);
  }

  /** A session on a graph built in memory (`name` stands for its file in errors). */
  static fromBytes(bytes: Uint8Array, name: string, options: SessionOptions): Promise<OnnxSession> {
    return OnnxSession.create(bytes, name, options);
  }

  private static async create(source: string | Uint8Array, file: string, options: SessionOptions): Promise<OnnxSession> {
    try {
      const settings: ort.InferenceSession.SessionOptions = { intraOpNumThreads: options.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
      const session = typeof source === 'string' ? await ort.InferenceSession.create(source, settings) : await ort.InferenceSession.create(source, settings);
      return new OnnxSession(session, file);
    } catch (err) {
      throw new AppError('MODEL_LOAD_FAILED', `onnxruntime could not load ${file}: ${err instanceof Error ? err.message : String(err)}`, {
        details: { file },
        cause: err,
      });
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Checks that the graph has these inputs and output, with a clear MODEL_MISMATCH otherwise. */
  expectNames(inputs: string[], output: string): void {
    for (const name of inputs) {
      if (!this.inputNames.includes(name)) {
        throw new AppError('MODEL_MISMATCH', `${this.file} has no input "${name}" (inputs: ${this.inputNames.join(', ')})`, {
          details: { file: this.file, input: name, inputs: [...this.inputNames] },
        });
      }
    }
    if (!this.outputNames.includes(output)) {
      throw new AppError('MODEL_MISMATCH', `${this.file} has no output "${output}" (outputs: ${this.outputNames.join(', ')})`, {
        details: { file: this.file, output, outputs: [...this.outputNames] },
      });
    }
  }

  /** Runs the graph on float32 / int64 inputs and returns one float32 output. */
  async run(
    feeds: Record<string, { type: 'float32'; data: Float32Array; dims: number[] } | { type: 'int64'; data: BigInt64Array; dims: number[] }>,
    output: string,
  ): Promise<FloatOutput> {
    try {
      const tensors: Record<string, ort.Tensor> = {};
      for (const [name, f] of Object.entries(feeds)) tensors[name] = new ort.Tensor(f.type, f.data, f.dims);
      const result = await this.session.run(tensors, [output]);
      const t = result[output];
      if (!t || t.type !== 'float32') {
        throw new AppError('MODEL_MISMATCH', `Output "${output}" of ${this.file} is ${t ? t.type : 'missing'}, expected float32`);
      }
      return { data: t.data as Float32Array, dims: [...t.dims] };
    } catch (err) {
      if (isAppError(err)) throw err;
      throw new AppError('MODEL_MISMATCH', `Running ${this.file} failed: ${err instanceof Error ? err.message : String(err)}`, {
        details: { file: this.file },
        cause: err,
      });
    }
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
