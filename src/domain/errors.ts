/**
 * Every expected failure in shoplens is an AppError with a stable string code.
 * Codes are part of the public API (HTTP bodies, CLI output): never rename one.
 * HTTP status mapping lives in exactly one place: src/http/error-mapping.ts.
 */
export const ERROR_CODES = [
  // caller's input
  'INVALID_PARAMETER',
  'INVALID_REQUEST',
  'EMPTY_IMAGE',
  'UNSUPPORTED_IMAGE_TYPE',
  'CORRUPT_IMAGE',
  'IMAGE_TOO_LARGE',
  'IMAGE_FETCH_FAILED',
  'IMAGE_NOT_FOUND',
  'INVALID_URL',
  'INVALID_CATALOG_ROW',
  'CATALOG_NOT_FOUND',
  'DATASET_NOT_FOUND',
  'UNSUPPORTED_CATALOG_FORMAT',
  'PRODUCT_NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'TEXT_SEARCH_UNAVAILABLE',
  // configuration and state
  'INVALID_CONFIG',
  'EXTRACTOR_MISMATCH',
  'INDEX_CORRUPT',
  // models (ONNX encoders)
  'MODEL_NOT_FOUND',
  'MODEL_NOT_INSTALLED',
  'INVALID_MODEL_MANIFEST',
  'MODEL_MISMATCH',
  'MODEL_LOAD_FAILED',
  'MODEL_DOWNLOAD_FAILED',
  'NETWORK_UNAVAILABLE',
  // catalog-trained projection (shoplens train)
  'TRAINING_DATA_INSUFFICIENT',
  'TRAINED_MODEL_CORRUPT',
  'TRAINED_MODEL_MISMATCH',
  // label-free catalog adaptation (shoplens adapt)
  'ADAPTATION_CORRUPT',
  'ADAPTATION_MISMATCH',
  'STORE_ERROR',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return Object.keys(this.details).length > 0
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Wraps anything thrown into an AppError, keeping the original as `cause`. */
export function toAppError(err: unknown, fallback: ErrorCode = 'INTERNAL_ERROR'): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(fallback, message, { cause: err });
}
