/**
 * The closed set of errors Paddock code throws on purpose. Branch on the class or
 * `code`, never on message text; foreign errors are converted at the boundary.
 */

export type ErrorCode =
  | 'validation_error'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'session_ended'
  | 'internal';

/** An error that maps to one HTTP status and a stable code. */
export class PaddockError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, status: number, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export class ValidationError extends PaddockError {
  constructor(message: string, details?: unknown) {
    super('validation_error', 400, message, details);
  }
}

export class UnauthorizedError extends PaddockError {
  constructor(message = 'missing or invalid bearer token') {
    super('unauthorized', 401, message);
  }
}

export class ForbiddenError extends PaddockError {
  constructor(message = 'this needs the admin role') {
    super('forbidden', 403, message);
  }
}

export class NotFoundError extends PaddockError {
  constructor(message = 'not found') {
    super('not_found', 404, message);
  }
}

export class ConflictError extends PaddockError {
  constructor(message: string, details?: unknown) {
    super('conflict', 409, message, details);
  }
}

export class PayloadTooLargeError extends PaddockError {
  constructor(message = 'request body is too large') {
    super('payload_too_large', 413, message);
  }
}

/** The session a request names has ended (`details.endReason` says why); nothing more runs in it. */
export class SessionGoneError extends PaddockError {
  constructor(message: string, details?: unknown) {
    super('session_ended', 409, message, details);
  }
}

export class UnavailableError extends PaddockError {
  constructor(message: string) {
    super('unavailable', 503, message);
  }
}

/**
 * Docker (or the sandbox machinery) failed: not the user's program. The job is
 * retried; after the last attempt the run ends in state `error`.
 */
export class SandboxInfraError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SandboxInfraError';
  }
}

/** A setting is missing or malformed; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * The request body's media type, charset or Content-Encoding is not one the API
 * reads. Its code stays `validation_error` (the stable set has no code of its own
 * for this; clients branch on the code) while the status is HTTP's precise 415.
 */
export class UnsupportedMediaTypeError extends PaddockError {
  constructor(message: string) {
    super('validation_error', 415, message);
  }
}

export class RateLimitedError extends PaddockError {
  /** Seconds until a retry can succeed: sent as Retry-After. */
  readonly retryAfterS?: number;

  constructor(message = 'too many requests', retryAfterS?: number) {
    super('rate_limited', 429, message);
    this.retryAfterS = retryAfterS;
  }
}
