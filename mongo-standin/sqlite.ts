/**
 * SQLite persistence (Node's built-in `node:sqlite`): one file holds the catalog (a
 * `collections` and an `indexes` table) and one table per collection, `docs_<id>`, whose
 * rows are `(rid, _id, doc)`: the record id that keeps natural order, the `_id` in
 * canonical Extended JSON (UNIQUE, a second guard behind the in-memory `_id_` index) and
 * the document as a BSON blob. Secondary indexes are stored as specs and rebuilt (and
 * their unique keys re-checked) when the stand-in starts.
 *
 * Durability: WAL journal with synchronous=FULL, so a commit returns only after the WAL
 * is fsynced; one command is one transaction. The file is opened with
 * locking_mode=EXCLUSIVE, so a second stand-in on the same file fails at once
 * (StorageInUseError) instead of serving a diverging copy; the OS drops the lock when
 * the process dies, even by kill -9.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { BSON } from 'bson';
import { canonicalKey, DESERIALIZE_OPTIONS, type Doc } from './doc';
import type { IndexSpec, Persistence, StoredCollection, Write } from './persistence';

/** Bumped when the layout changes; a newer file is refused rather than misread. */
const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS collections (
    id INTEGER PRIMARY KEY,
    db TEXT NOT NULL,
    name TEXT NOT NULL,
    options BLOB NOT NULL,
    UNIQUE (db, name)
  );
  CREATE TABLE IF NOT EXISTS indexes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection INTEGER NOT NULL,
    name TEXT NOT NULL,
    spec BLOB NOT NULL,
    UNIQUE (collection, name)
  );
`;

/** SQLite's "database is locked" / "table is locked" result codes. */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

/** Another process (or another stand-in in this one) holds the file. */
export class StorageInUseError extends Error {
  override name = 'StorageInUseError';
  constructor(
    readonly file: string,
    /** The url the holder announced, when it left one. */
    readonly url: string | undefined,
  ) {
    super(`${file} is in use by another MongoDB stand-in${url ? ` (${url})` : ''}`);
  }
}

/** The file next to the database where the holder writes its url (a hint, never trusted for data). */
function urlFile(file: string): string {
  return `${file}.url`;
}

interface DocStatements {
  put: StatementSync;
  remove: StatementSync;
}

/** Opens (creating if needed) the SQLite file and takes its lock. */
export function openSqlitePersistence(file: string): Persistence {
  const { DatabaseSync: Database } = loadSqlite();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file, { timeout: 0 });
  try {
    // EXCLUSIVE before WAL: the WAL index then lives in this process's memory (no -shm
    // file) and the lock taken by the first transaction is held until close.
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode?: string } | undefined;
    if (mode?.journal_mode !== 'wal') throw new Error(`cannot switch ${file} to WAL (journal_mode is ${String(mode?.journal_mode)})`);
    db.exec('PRAGMA synchronous = FULL');
    migrate(db, file);
  } catch (err) {
    db.close();
    const code = (err as { errcode?: number }).errcode;
    if (code === SQLITE_BUSY || code === SQLITE_LOCKED) throw new StorageInUseError(file, readUrl(file));
    throw err;
  }
  return new SqlitePersistence(db, file);
}

function migrate(db: DatabaseSync, file: string): void {
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (version > SCHEMA_VERSION) throw new Error(`${file} was written by a newer stand-in (schema ${version}, this one reads ${SCHEMA_VERSION})`);
  if (version === SCHEMA_VERSION) return;
  db.exec('BEGIN');
  db.exec(SCHEMA);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  db.exec('COMMIT');
}

function readUrl(file: string): string | undefined {
  try {
    return fs.readFileSync(urlFile(file), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

class SqlitePersistence implements Persistence {
  readonly storage;
  private readonly docStatements = new Map<number, DocStatements>();
  private readonly catalog;
  private closed = false;

  constructor(
    private readonly db: DatabaseSync,
    readonly file: string,
  ) {
    this.storage = { engine: 'sqlite' as const, file };
    this.catalog = {
      createCollection: db.prepare('INSERT INTO collections (id, db, name, options) VALUES (?, ?, ?, ?)'),
      dropCollection: db.prepare('DELETE FROM collections WHERE id = ?'),
      dropIndexes: db.prepare('DELETE FROM indexes WHERE collection = ?'),
      renameCollection: db.prepare('UPDATE collections SET db = ?, name = ? WHERE id = ?'),
      createIndex: db.prepare('INSERT INTO indexes (collection, name, spec) VALUES (?, ?, ?)'),
      dropIndex: db.prepare('DELETE FROM indexes WHERE collection = ? AND name = ?'),
    };
  }

  load(): StoredCollection[] {
    const rows = this.db.prepare('SELECT id, db, name, options FROM collections ORDER BY id').all() as Array<{ id: number; db: string; name: string; options: Uint8Array }>;
    const specs = this.db.prepare('SELECT spec FROM indexes WHERE collection = ? ORDER BY seq');
    return rows.map((row) => ({
      id: row.id,
      db: row.db,
      name: row.name,
      options: decode(row.options),
      indexes: (specs.all(row.id) as Array<{ spec: Uint8Array }>).map((r) => decode(r.spec) as IndexSpec),
      documents: () => this.documents(row.id),
    }));
  }

  private *documents(collection: number): Iterable<[number, Doc]> {
    const select = this.db.prepare(`SELECT rid, doc FROM ${table(collection)} ORDER BY rid`);
    // Rows as arrays: several times cheaper than objects, and this reads everything.
    select.setReturnArrays(true);
    for (const row of select.iterate() as Iterable<[number, Uint8Array]>) yield [row[0], decode(row[1])];
  }

  commit(writes: readonly Write[]): void {
    if (this.closed) throw new Error('the stand-in storage is closed');
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const write of writes) this.apply(write);
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private apply(w: Write): void {
    switch (w.op) {
      case 'createCollection':
        this.catalog.createCollection.run(w.collection, w.db, w.name, BSON.serialize(w.options));
        this.db.exec(`CREATE TABLE ${table(w.collection)} (rid INTEGER PRIMARY KEY, _id TEXT NOT NULL UNIQUE, doc BLOB NOT NULL)`);
        return;
      case 'dropCollection':
        this.catalog.dropIndexes.run(w.collection);
        this.catalog.dropCollection.run(w.collection);
        this.docStatements.delete(w.collection);
        this.db.exec(`DROP TABLE ${table(w.collection)}`);
        return;
      case 'renameCollection':
        this.catalog.renameCollection.run(w.db, w.name, w.collection);
        return;
      case 'createIndex':
        this.catalog.createIndex.run(w.collection, w.spec.name, BSON.serialize(w.spec));
        return;
      case 'dropIndex':
        this.catalog.dropIndex.run(w.collection, w.name);
        return;
      case 'putDocument':
        this.statements(w.collection).put.run(w.rid, canonicalKey(w.doc._id), BSON.serialize(w.doc));
        return;
      case 'deleteDocument':
        this.statements(w.collection).remove.run(w.rid);
        return;
    }
  }

  private statements(collection: number): DocStatements {
    let s = this.docStatements.get(collection);
    if (!s) {
      const t = table(collection);
      s = {
        put: this.db.prepare(`INSERT INTO ${t} (rid, _id, doc) VALUES (?, ?, ?) ON CONFLICT (rid) DO UPDATE SET doc = excluded.doc`),
        remove: this.db.prepare(`DELETE FROM ${t} WHERE rid = ?`),
      };
      this.docStatements.set(collection, s);
    }
    return s;
  }

  announce(url: string): void {
    // Best effort: only a hint for the message a second stand-in prints.
    try {
      fs.writeFileSync(urlFile(this.file), `${url}\n`, { mode: 0o600 });
    } catch {
      // ignored: the data itself is unaffected
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.rmSync(urlFile(this.file), { force: true });
    } catch {
      // ignored: a stale hint is only ever shown while someone holds the lock
    }
    // Closing the last connection checkpoints the WAL into the main file.
    this.db.close();
  }
}

/** Collection ids are integers we assign, so the table name needs no quoting. */
function table(collection: number): string {
  return `docs_${Math.trunc(collection)}`;
}

function decode(bytes: Uint8Array): Doc {
  return BSON.deserialize(bytes, DESERIALIZE_OPTIONS);
}

/**
 * node:sqlite, loaded on first use only (memory mode never touches it). Node releases
 * where it is still experimental print an ExperimentalWarning on load; that one warning
 * says nothing a stand-in user can act on, so it alone is dropped. Every other warning,
 * during the load too, goes through unchanged.
 */
function loadSqlite(): typeof import('node:sqlite') {
  const emit = process.emitWarning;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : ((rest[0] as { type?: string } | undefined)?.type ?? (warning instanceof Error ? warning.name : undefined));
    const text = typeof warning === 'string' ? warning : warning.message;
    if (type === 'ExperimentalWarning' && /sqlite/i.test(text)) return;
    return (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    const sqlite = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite') | undefined;
    if (!sqlite) throw new Error(`node:sqlite is not available in Node ${process.version}; use Node 24, or MONGO_STANDIN=memory`);
    return sqlite;
  } finally {
    process.emitWarning = emit;
  }
}
