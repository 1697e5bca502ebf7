/**
 * Where the stand-in's data lives between runs. The working set (documents, index keys,
 * unique enforcement, queries) is always the in-memory Store of storage.ts; a Persistence
 * only receives what each command changed, and hands everything back at start-up.
 *
 * Two implementations: `memory` (keeps nothing; tests) and `sqlite` (sqlite.ts; the
 * default for `npm start`). Both run every command through the same Store code, so a
 * constraint holds or fails the same way in either.
 */
import type { Doc } from './doc';

/** The spec of one index as listIndexes prints it. */
export interface IndexSpec {
  v: 2;
  key: Doc;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  [option: string]: unknown;
}

/**
 * One change to stored state. Collections are named by a numeric id that never changes
 * (a rename keeps it); documents by a record id that keeps their natural order.
 */
export type Write =
  | { op: 'createCollection'; collection: number; db: string; name: string; options: Doc }
  | { op: 'dropCollection'; collection: number }
  | { op: 'renameCollection'; collection: number; db: string; name: string }
  | { op: 'createIndex'; collection: number; spec: IndexSpec }
  | { op: 'dropIndex'; collection: number; name: string }
  /** Insert, or replace the document of an existing record (its `_id` never changes). */
  | { op: 'putDocument'; collection: number; rid: number; doc: Doc }
  | { op: 'deleteDocument'; collection: number; rid: number };

/** A collection as it was stored: secondary indexes in creation order, documents in record order. */
export interface StoredCollection {
  id: number;
  db: string;
  name: string;
  options: Doc;
  indexes: IndexSpec[];
  documents(): Iterable<[rid: number, doc: Doc]>;
}

/** Which storage a stand-in uses: nothing, or one SQLite file. */
export type StandinStorage = { engine: 'memory' } | { engine: 'sqlite'; file: string };

export interface Persistence {
  readonly storage: StandinStorage;
  /** Everything stored, read once when the stand-in starts. */
  load(): StoredCollection[];
  /**
   * Applies the writes of one command, all or none, and returns only once they would
   * survive the process being killed. Throws when they could not be stored.
   */
  commit(writes: readonly Write[]): void;
  /** Says where this stand-in can be reached, for whoever finds its storage busy. */
  announce(url: string): void;
  close(): void;
}

/** Keeps nothing: a restart starts empty. */
export function memoryPersistence(): Persistence {
  return {
    storage: { engine: 'memory' },
    load: () => [],
    commit: () => undefined,
    announce: () => undefined,
    close: () => undefined,
  };
}

/** One line saying where a stand-in keeps its data, for start-up messages. */
export function describeStorage(storage: StandinStorage): string {
  return storage.engine === 'sqlite' ? `embedded MongoDB stand-in, data in ${storage.file}` : 'in-memory MongoDB stand-in, data lost on exit';
}
