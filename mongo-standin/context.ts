/**
 * What every command handler receives, and small argument readers that fail the way
 * mongod does (TypeMismatch / BadValue) instead of throwing TypeErrors.
 */
import type { Document } from 'bson';
import type { CursorRegistry } from './cursors';
import { CommandError } from './errors';
import { isPlainObject, type Doc } from './doc';
import type { Store } from './storage';

export interface ServerState {
  store: Store;
  cursors: CursorRegistry;
  startedAt: Date;
  host: string;
  port: number;
  connections: { current: number; totalCreated: number };
}

export interface CommandContext {
  server: ServerState;
  /** The `$db` of the request. */
  db: string;
  connectionId: number;
}

/** A handler answers one command synchronously; `ok: 1` is added by the dispatcher. */
export type Handler = (cmd: Document, ctx: CommandContext) => Document;

/** The collection name in the command's first field, e.g. `{find: 'jobs'}`. */
export function collectionArg(cmd: Document, name: string): string {
  const value = cmd[name] as unknown;
  if (typeof value !== 'string' || value.length === 0) {
    throw new CommandError('InvalidNamespace', `collection name has invalid type ${typeof value}`);
  }
  return value;
}

export function docArg(cmd: Document, key: string): Doc | undefined {
  const value = cmd[key] as unknown;
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new CommandError('TypeMismatch', `BSON field '${key}' is the wrong type '${typeof value}', expected type 'object'`);
  return value;
}

export function docsArg(cmd: Document, key: string): Doc[] {
  const value = cmd[key] as unknown;
  if (!Array.isArray(value) || !value.every(isPlainObject)) {
    throw new CommandError('TypeMismatch', `BSON field '${key}' must be an array of objects`);
  }
  return value;
}

/** Numbers arrive as JS numbers (int32/int64 promoted) or, past 2^53, as Long. */
export function numberArg(cmd: Document, key: string): number | undefined {
  const value = cmd[key] as unknown;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value !== null && 'toNumber' in value) return (value as { toNumber(): number }).toNumber();
  throw new CommandError('TypeMismatch', `BSON field '${key}' is the wrong type, expected a number`);
}

export function boolArg(cmd: Document, key: string, fallback: boolean): boolean {
  const value = cmd[key] as unknown;
  return value === undefined || value === null ? fallback : Boolean(value);
}
