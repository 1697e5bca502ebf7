import { STATUS_CODES } from 'node:http';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PaddockError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../core/errors';
import { failedDependency } from '../core/dependency-errors';

/**
 * Converts what express, its router, body-parser (and raw-body, zlib under it) or
 * Bull Board's pages throw into one of ours, so every answer has the stable body.
 *
 * A foreign error is the client's fault exactly when it carries a 4xx `status` /
 * `statusCode` (http-errors' convention, which all of those follow): it becomes a 4xx
 * with the code of that status. Statuses the stable set has no code for (400, 411,
 * 414, 415, 416, …) keep their precise HTTP status and take `validation_error`: the
 * request was wrong. A MongoDB or Redis failure is a 503 `unavailable` naming the
 * part. Everything else is a server fault: 500 `internal`, logged, and its
 * message is never shown.
 */
export function fromForeign(err: unknown): PaddockError {
  if (err instanceof PaddockError) return err;
  const e: Record<string, unknown> = typeof err === 'object' && err !== null ? (err as Record<string, unknown>) : {};
  const status = clientStatus(e);
  if (status === undefined) {
    // A backing service that is down is not the client's fault nor a bug: 503, naming it.
    const dependency = failedDependency(err);
    if (dependency) return new UnavailableError(`${dependency} is unavailable; try again`);
    return new PaddockError('internal', 500, 'internal error');
  }
  switch (typeof e.type === 'string' ? e.type : undefined) {
    case 'entity.too.large':
      return new PayloadTooLargeError();
    case 'entity.parse.failed':
      return new ValidationError('request body is not valid JSON');
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('unsupported Content-Encoding (use identity, gzip, deflate or br)');
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError('unsupported charset: send JSON as UTF-8');
    case 'request.aborted':
      return new ValidationError('the request ended before its body was complete');
    case 'request.size.invalid':
      return new ValidationError('the request body does not match its Content-Length');
    case 'parameters.too.many':
      return new PayloadTooLargeError('too many parameters');
  }
  // The router decodes path parameters and sets 400 on the URIError it gets.
  if (err instanceof URIError) return new ValidationError('the request path has malformed percent-encoding');
  if (isZlibError(e)) return new ValidationError('the request body could not be decompressed as its Content-Encoding says');
  const message = e.expose === true && typeof e.message === 'string' && e.message ? e.message : (STATUS_CODES[status] ?? 'bad request');
  return byStatus(status, message);
}

function clientStatus(e: Record<string, unknown>): number | undefined {
  const s = e.status ?? e.statusCode;
  return typeof s === 'number' && Number.isInteger(s) && s >= 400 && s < 500 ? s : undefined;
}

/** zlib's own codes (Z_DATA_ERROR, Z_BUF_ERROR, …; brotli's ERR__ERROR_…): a body that does not decompress. */
function isZlibError(e: Record<string, unknown>): boolean {
  return typeof e.errno === 'number' && typeof e.code === 'string' && /^(Z_|ERR__ERROR_|ERR_BROTLI)/.test(e.code);
}

function byStatus(status: number, message: string): PaddockError {
  switch (status) {
    case 401:
      return new UnauthorizedError(message);
    case 403:
      return new ForbiddenError(message);
    case 404:
      return new NotFoundError(message);
    case 409:
      return new ConflictError(message);
    case 413:
      return new PayloadTooLargeError(message);
    case 415:
      return new UnsupportedMediaTypeError(message);
    case 429:
      return new RateLimitedError(message);
    default:
      return new PaddockError('validation_error', status, message);
  }
}
