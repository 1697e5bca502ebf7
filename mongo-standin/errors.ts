/**
 * Server-side command errors, shaped like MongoDB's so the driver raises the same
 * MongoServerError (code, codeName) it would against a real server.
 */
import { BSONError, type Document } from 'bson';
import { MingoError } from 'mingo/util';

/** The MongoDB error codes the stand-in produces, with their official names. */
export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  ConflictingUpdateOperators: 40,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  CommandNotSupported: 115,
  DuplicateKey: 11000,
  Location40324: 40324, // unrecognized pipeline stage
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

export class CommandError extends Error {
  override name = 'CommandError';
  readonly code: number;
  readonly codeName: string;
  /** Extra reply fields, e.g. keyPattern/keyValue on duplicate keys. */
  readonly extra: Document;

  constructor(codeName: ErrorCodeName, message: string, extra: Document = {}) {
    super(message);
    this.code = ErrorCodes[codeName];
    this.codeName = codeName;
    this.extra = extra;
  }
}

/**
 * Foreign errors from mingo or bson are a bad operator or argument in the request:
 * BadValue, except for the two update failures mongod has dedicated codes for (mingo
 * only tells them apart by message). Anything else is a stand-in bug and says so.
 */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  if (err instanceof MingoError) {
    if (err.message.includes('would modify the immutable field')) return new CommandError('ImmutableField', err.message);
    if (err.message.includes('would create a conflict')) return new CommandError('ConflictingUpdateOperators', err.message);
    return new CommandError('BadValue', err.message);
  }
  if (BSONError.isBSONError(err)) return new CommandError('BadValue', err.message);
  const message = err instanceof Error ? err.message : String(err);
  return new CommandError('InternalError', `MongoDB stand-in failed: ${message}`);
}

/** The reply document for a failed command. */
export function errorReply(err: CommandError): Document {
  return { ok: 0, errmsg: err.message, code: err.code, codeName: err.codeName, ...err.extra };
}
