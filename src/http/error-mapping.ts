import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../domain/errors.js';

/** The one place where error codes become HTTP statuses. Services never know about HTTP. */
const STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER: 400,
  INVALID_REQUEST: 400,
  EMPTY_IMAGE: 400,
  UNSUPPORTED_IMAGE_TYPE: 415,
  CORRUPT_IMAGE: 422,
  IMAGE_TOO_LARGE: 413,
  IMAGE_FETCH_FAILED: 422,
  IMAGE_NOT_FOUND: 404,
  INVALID_URL: 400,
  INVALID_CATALOG_ROW: 400,
  CATALOG_NOT_FOUND: 404,
  DATASET_NOT_FOUND: 404,
  UNSUPPORTED_CATALOG_FORMAT: 400,
  PRODUCT_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  // The request is fine, but the configured extractor has no text tower.
  TEXT_SEARCH_UNAVAILABLE: 409,
  INVALID_CONFIG: 500,
  EXTRACTOR_MISMATCH: 500,
  INDEX_CORRUPT: 500,
  MODEL_NOT_FOUND: 500,
  MODEL_NOT_INSTALLED: 500,
  INVALID_MODEL_MANIFEST: 500,
  MODEL_MISMATCH: 500,
  MODEL_LOAD_FAILED: 500,
  MODEL_DOWNLOAD_FAILED: 502,
  NETWORK_UNAVAILABLE: 503,
  // Only the CLI trains; a server meeting these has a damaged or outdated data directory.
  TRAINING_DATA_INSUFFICIENT: 422,
  TRAINED_MODEL_CORRUPT: 500,
  TRAINED_MODEL_MISMATCH: 500,
  ADAPTATION_CORRUPT: 500,
  ADAPTATION_MISMATCH: 500,
  STORE_ERROR: 500,
  INTERNAL_ERROR: 500,
};

export function statusFor(code: ErrorCode): number {
  return STATUS[code];
}

/** Translates framework errors (validation, body parsing, multipart limits) into AppErrors. */
export function fromFrameworkError(err: FastifyError): AppError | null {
  if (err.validation) {
    return new AppError('INVALID_PARAMETER', `Invalid request: ${err.message}`, { details: { validation: err.validation } });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('INVALID_REQUEST', 'Unsupported content type: send multipart/form-data with an `image` file, or JSON', { cause: err });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_PROTO_VIOLATION':
      return new AppError('INVALID_REQUEST', err.message, { cause: err });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new AppError('PAYLOAD_TOO_LARGE', err.message, { cause: err });
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('IMAGE_TOO_LARGE', 'The uploaded image is larger than the configured byte limit', { cause: err });
    default:
      break;
  }
  if (err instanceof SyntaxError) return new AppError('INVALID_REQUEST', `Malformed body: ${err.message}`, { cause: err });
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError('INVALID_REQUEST', err.message, { cause: err });
  }
  return null;
}

/** Fastify error handler: AppErrors answer `{code, message}`; unknown errors are logged with the request id and answered 500 without internals. */
export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const appError = err instanceof AppError ? err : fromFrameworkError(err as FastifyError);
  if (appError) {
    const status = statusFor(appError.code);
    if (status >= 500) request.log.error({ err, reqId: request.id }, 'request failed');
    void reply.status(status).send(appError.toJSON());
    return;
  }
  request.log.error({ err, reqId: request.id }, 'unexpected error');
  void reply.status(500).send({ code: 'INTERNAL_ERROR', message: `Internal error (request ${request.id})` });
}
