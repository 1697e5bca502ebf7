/**
 * The working set: databases → collections → records, plus index specs with unique
 * enforcement and equality lookups, all in memory. Stored documents are never mutated
 * after they are written (writers hand in fresh copies and replace whole records), so
 * readers may hold them without copying until they leave the process.
 *
 * Every change is also recorded as a Write; the dispatcher calls `commit()` after each
 * command, which hands that command's writes to the Persistence (persistence.ts) before
 * the reply goes out. Constraints are checked here, before anything is recorded, so
 * the Persistence stores outcomes and never has to judge them.
 */
import { ObjectId } from 'bson';
import { Query } from 'mingo';
import { CommandError } from './errors';
import { canonicalKey, formatDoc, indexKey, isPlainObject, valuesAtPath, type Doc } from './doc';
import type { IndexSpec, Persistence, StandinStorage, Write } from './persistence';

export type { IndexSpec };

/** Receives the changes a collection makes. */
interface Journal {
  record(write: Write): void;
}

/** Options of createIndexes that are stored and echoed back by listIndexes. */
const INDEX_OPTIONS = ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'hidden', 'collation', 'weights', 'default_language', 'textIndexVersion'];

class Index {
  readonly spec: IndexSpec;
  /** Unique indexes only: index key (indexKey) → record id that owns it. */
  readonly owners = new Map<string, number>();
  private readonly fields: string[];
  private readonly filter: Query | undefined;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = Object.keys(spec.key);
    this.filter = spec.partialFilterExpression ? new Query(spec.partialFilterExpression) : undefined;
  }

  get unique(): boolean {
    return this.spec.unique === true;
  }

  /** The index keys a document produces, or [] when it is not in the index (sparse/partial). */
  keysOf(doc: Doc): Array<{ key: string; values: unknown[] }> {
    if (this.filter && !this.filter.test(doc)) return [];
    const perField: unknown[][] = [];
    let scalar = true;
    let present = false;
    for (const field of this.fields) {
      const vals = valuesAtPath(doc, field);
      perField.push(vals);
      if (vals.length > 1) scalar = false;
      if (vals.length > 0) present = true;
    }
    if (this.spec.sparse && !present) return [];
    // A missing field indexes as null, which is why two docs lacking it collide.
    if (scalar) {
      // The common case (no arrays on the way): exactly one key.
      const values = perField.map((vals) => (vals.length === 0 ? null : vals[0]));
      return [{ key: indexKey(values), values }];
    }
    let tuples: unknown[][] = [[]];
    for (const vals of perField) {
      const options = vals.length === 0 ? [null] : vals;
      tuples = tuples.flatMap((t) => options.map((v) => [...t, v]));
    }
    const seen = new Map<string, unknown[]>();
    for (const t of tuples) seen.set(indexKey(t), t);
    return [...seen].map(([key, values]) => ({ key, values }));
  }

  duplicateError(ns: string, values: unknown[]): CommandError {
    const keyValue: Doc = {};
    this.fields.forEach((f, i) => (keyValue[f] = values[i] ?? null));
    const message = `E11000 duplicate key error collection: ${ns} index: ${this.spec.name} dup key: ${formatDoc(keyValue)}`;
    return new CommandError('DuplicateKey', message, { keyPattern: this.spec.key, keyValue });
  }
}

/**
 * Equality lookup on one top-level field that leads an index: lookupKey of a value → the
 * records holding it there (for an array, among its elements, as `valuesAtPath` reads it).
 * It covers every record, also those a sparse or partial index leaves out, but only values
 * lookupKey encodes; so it answers "which records can equal v" for exactly those v.
 */
class FieldLookup {
  readonly byKey = new Map<string, Set<number>>();

  constructor(private readonly field: string) {}

  add(rid: number, doc: Doc): void {
    for (const key of this.keysOf(doc)) {
      let rids = this.byKey.get(key);
      if (!rids) this.byKey.set(key, (rids = new Set()));
      rids.add(rid);
    }
  }

  delete(rid: number, doc: Doc): void {
    for (const key of this.keysOf(doc)) {
      const rids = this.byKey.get(key);
      if (rids?.delete(rid) && rids.size === 0) this.byKey.delete(key);
    }
  }

  private keysOf(doc: Doc): string[] {
    const keys: string[] = [];
    for (const v of valuesAtPath(doc, this.field)) {
      const key = lookupKey(v);
      if (key !== undefined) keys.push(key);
    }
    return keys;
  }
}

const NO_RECORDS: ReadonlySet<number> = new Set();

/**
 * The key of a value an equality can be looked up by, or undefined for the others. Only
 * types whose equality (mingo's, which judges the filter, and mongod's) is plain value
 * identity: a string, a number (int32, int64 and double all arrive as JS numbers, so 1 and
 * 1.0 and Long(1) are one key), a boolean, an ObjectId, a Date. Not null (which also
 * matches a missing field), documents, arrays, regexes or the rarer BSON types.
 */
function lookupKey(value: unknown): string | undefined {
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean' || value instanceof ObjectId || value instanceof Date) return indexKey([value]);
  return undefined;
}

/** The lookup keys a top-level condition means "equal to one of", or undefined when it is anything else. */
function equalityKeys(condition: unknown): string[] | undefined {
  const plain = lookupKey(condition);
  if (plain !== undefined) return [plain];
  if (!isPlainObject(condition)) return undefined;
  const ops = Object.keys(condition);
  if (ops.length !== 1) return undefined;
  if (ops[0] === '$eq') {
    const key = lookupKey(condition.$eq);
    return key === undefined ? undefined : [key];
  }
  if (ops[0] !== '$in' || !Array.isArray(condition.$in)) return undefined;
  const keys: string[] = [];
  for (const v of condition.$in as unknown[]) {
    const key = lookupKey(v);
    if (key === undefined) return undefined;
    keys.push(key);
  }
  return [...new Set(keys)];
}

/**
 * The `_id` values a top-level `_id` condition means "equal to one of", or undefined. A
 * plain value (anything but an operator document, a regex or an array, which `_id` never
 * holds) is looked up in the _id index as its key; `$in`/`$eq` only with lookupKey values.
 */
function idValues(condition: unknown): unknown[] | undefined {
  if (condition instanceof RegExp || Array.isArray(condition)) return undefined;
  if (!isPlainObject(condition) || !Object.keys(condition).some((k) => k.startsWith('$'))) return [condition];
  const keys = equalityKeys(condition);
  if (!keys) return undefined;
  return '$eq' in condition ? [condition.$eq] : (condition.$in as unknown[]);
}

/**
 * Whether an index's leading field gets a FieldLookup: top-level fields only. mingo, which
 * judges filters, resolves dotted paths through nested arrays more loosely than
 * valuesAtPath (`{'a.b': 1}` matches `{a: {b: [[1]]}}`), so a lookup there could miss a
 * record the filter matches; `_id` has its index's owners, `$**` is no field.
 */
function lookupField(field: string): boolean {
  return field !== '_id' && !field.includes('.') && !field.includes('$');
}

/** mongod's default index name: `field_1_other_-1`. */
export function defaultIndexName(key: Doc): string {
  return Object.entries(key)
    .map(([f, dir]) => `${f}_${String(dir)}`)
    .join('_');
}

export class Collection {
  /** Insertion-ordered records; a record id stays put when its document is replaced. */
  readonly records = new Map<number, Doc>();
  private readonly indexes: Index[] = [];
  /** Leading field of some index → its equality lookup (see lookupField). */
  private readonly lookups = new Map<string, FieldLookup>();
  private nextRecordId = 1;

  constructor(
    /** Stable for the collection's life, also across a rename. */
    readonly id: number,
    public db: string,
    public name: string,
    readonly options: Doc,
    private readonly journal: Journal,
  ) {
    this.indexes.push(new Index({ v: 2, key: { _id: 1 }, name: '_id_', unique: true }));
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get size(): number {
    return this.records.size;
  }

  /**
   * The records a filter can match, in natural order; the caller still tests each one
   * against the filter, so this only narrows. Each top-level equality (or `$in`) on `_id`
   * or on the leading field of an index is answered from a lookup; with several, the
   * smallest answer is kept and cut down to the records the others have too (every
   * top-level condition must hold), much as a compound index on those fields would.
   * Anything else is a full scan.
   */
  candidates(filter: Doc | undefined): Array<[number, Doc]> {
    if (!filter) return [...this.records];
    const plans: Array<{ sets: Array<ReadonlySet<number>>; size: number }> = [];
    for (const [field, condition] of Object.entries(filter)) {
      const sets = this.lookupSets(field, condition);
      if (sets) plans.push({ sets, size: sets.reduce((n, rids) => n + rids.size, 0) });
    }
    if (plans.length === 0) return [...this.records];
    plans.sort((x, y) => x.size - y.size);
    const { sets } = plans[0]!;
    let rids = sets.length === 1 ? [...sets[0]!] : [...new Set(sets.flatMap((set) => [...set]))];
    for (const other of plans.slice(1)) rids = rids.filter((rid) => other.sets.some((set) => set.has(rid)));
    // Lookups hold records in no particular order; natural order is record-id order.
    if (rids.length > 1) rids.sort((x, y) => x - y);
    return rids.map((rid) => [rid, this.records.get(rid)!]);
  }

  /** The records a top-level condition can be answered from (one set per value), or undefined when no lookup applies. */
  private lookupSets(field: string, condition: unknown): Array<ReadonlySet<number>> | undefined {
    if (field === '_id') {
      const ids = this.indexes[0]!.owners;
      return idValues(condition)?.map((v) => {
        const rid = ids.get(indexKey([v]));
        return new Set(rid === undefined ? [] : [rid]);
      });
    }
    const lookup = this.lookups.get(field);
    if (!lookup) return undefined;
    return equalityKeys(condition)?.map((key) => lookup.byKey.get(key) ?? NO_RECORDS);
  }

  indexSpecs(): IndexSpec[] {
    // The _id index is unique by nature; mongod does not print `unique` for it.
    return this.indexes.map((ix) => (ix.spec.name === '_id_' ? { v: 2, key: { _id: 1 }, name: '_id_' } : { ...ix.spec }));
  }

  /** Adds a document (already carrying `_id`); throws DuplicateKey and stores nothing. */
  insert(doc: Doc): number {
    const rid = this.nextRecordId;
    this.claimKeys(rid, doc);
    this.nextRecordId += 1;
    this.records.set(rid, doc);
    for (const lookup of this.lookups.values()) lookup.add(rid, doc);
    this.journal.record({ op: 'putDocument', collection: this.id, rid, doc });
    return rid;
  }

  /** Puts back a stored record at start-up (nothing is recorded). */
  restore(rid: number, doc: Doc): void {
    this.claimKeys(rid, doc);
    this.records.set(rid, doc);
    for (const lookup of this.lookups.values()) lookup.add(rid, doc);
    if (rid >= this.nextRecordId) this.nextRecordId = rid + 1;
  }

  /** Replaces a record's document in place; throws DuplicateKey and keeps the old one. */
  replace(rid: number, doc: Doc): void {
    const old = this.records.get(rid);
    if (!old) throw new CommandError('InternalError', `record ${rid} vanished`);
    this.releaseKeys(rid, old);
    try {
      this.claimKeys(rid, doc);
    } catch (err) {
      this.claimKeys(rid, old); // cannot fail: these keys were ours a moment ago
      throw err;
    }
    this.records.set(rid, doc);
    for (const lookup of this.lookups.values()) {
      lookup.delete(rid, old);
      lookup.add(rid, doc);
    }
    this.journal.record({ op: 'putDocument', collection: this.id, rid, doc });
  }

  remove(rid: number): void {
    const old = this.records.get(rid);
    if (!old) return;
    this.releaseKeys(rid, old);
    this.records.delete(rid);
    for (const lookup of this.lookups.values()) lookup.delete(rid, old);
    this.journal.record({ op: 'deleteDocument', collection: this.id, rid });
  }

  /**
   * Adds an index. Returns false when an identical one exists; throws on a name/key
   * conflict or, for unique indexes, when existing documents already collide.
   */
  createIndex(raw: Doc): boolean {
    const spec = normalizeIndexSpec(raw);
    const sameName = this.indexes.find((ix) => ix.spec.name === spec.name);
    const sameKey = this.indexes.find((ix) => canonicalKey(ix.spec.key) === canonicalKey(spec.key));
    if (sameName) {
      if (canonicalKey(sameName.spec.key) !== canonicalKey(spec.key)) {
        throw new CommandError('IndexKeySpecsConflict', `An existing index has the same name as the requested index. Requested index: ${formatDoc(spec)}, existing index: ${formatDoc(sameName.spec)}`);
      }
      if (!sameOptions(sameName.spec, spec)) {
        throw new CommandError('IndexOptionsConflict', `An equivalent index already exists with the same name but different options. Requested index: ${formatDoc(spec)}, existing index: ${formatDoc(sameName.spec)}`);
      }
      return false;
    }
    if (sameKey && sameOptions(sameKey.spec, spec)) {
      throw new CommandError('IndexOptionsConflict', `Index already exists with a different name: ${sameKey.spec.name}`);
    }
    const index = new Index(spec);
    if (index.unique) {
      for (const [rid, doc] of this.records) {
        for (const { key, values } of index.keysOf(doc)) {
          const owner = index.owners.get(key);
          if (owner !== undefined && owner !== rid) throw index.duplicateError(this.ns, values);
          index.owners.set(key, rid);
        }
      }
    }
    this.indexes.push(index);
    this.syncLookups();
    this.journal.record({ op: 'createIndex', collection: this.id, spec });
    return true;
  }

  /** Drops one index by name; `_id_` cannot be dropped. */
  dropIndex(name: string): void {
    if (name === '_id_') throw new CommandError('InvalidOptions', 'cannot drop _id index');
    const at = this.indexes.findIndex((ix) => ix.spec.name === name);
    if (at < 0) throw new CommandError('IndexNotFound', `index not found with name [${name}]`);
    this.indexes.splice(at, 1);
    this.syncLookups();
    this.journal.record({ op: 'dropIndex', collection: this.id, name });
  }

  findIndexByKey(key: Doc): IndexSpec | undefined {
    return this.indexes.find((ix) => canonicalKey(ix.spec.key) === canonicalKey(key))?.spec;
  }

  /** One lookup per leading field of the current indexes: drops the unused, builds the new. */
  private syncLookups(): void {
    const wanted = new Set(this.indexes.map((ix) => Object.keys(ix.spec.key)[0]!).filter(lookupField));
    for (const field of this.lookups.keys()) if (!wanted.has(field)) this.lookups.delete(field);
    for (const field of wanted) {
      if (this.lookups.has(field)) continue;
      const lookup = new FieldLookup(field);
      for (const [rid, doc] of this.records) lookup.add(rid, doc);
      this.lookups.set(field, lookup);
    }
  }

  private claimKeys(rid: number, doc: Doc): void {
    const claims: Array<[Index, string]> = [];
    for (const index of this.indexes) {
      if (!index.unique) continue;
      for (const { key, values } of index.keysOf(doc)) {
        const owner = index.owners.get(key);
        if (owner !== undefined && owner !== rid) {
          // Undo this document's claims on earlier indexes before failing.
          for (const [ix, k] of claims) ix.owners.delete(k);
          throw index.duplicateError(this.ns, values);
        }
        if (owner === undefined) claims.push([index, key]);
        index.owners.set(key, rid);
      }
    }
  }

  private releaseKeys(rid: number, doc: Doc): void {
    for (const index of this.indexes) {
      if (!index.unique) continue;
      for (const { key } of index.keysOf(doc)) if (index.owners.get(key) === rid) index.owners.delete(key);
    }
  }
}

function normalizeIndexSpec(raw: Doc): IndexSpec {
  const key = raw.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) {
    throw new CommandError('BadValue', "The 'key' field of an index spec must be a non-empty object");
  }
  const name = raw.name === undefined ? defaultIndexName(key) : raw.name;
  if (typeof name !== 'string' || name.length === 0) throw new CommandError('BadValue', 'index name must be a non-empty string');
  const spec: IndexSpec = { v: 2, key, name };
  for (const option of INDEX_OPTIONS) if (raw[option] !== undefined) spec[option] = raw[option];
  if (spec.unique === false) delete spec.unique;
  if (spec.sparse === false) delete spec.sparse;
  return spec;
}

function sameOptions(a: IndexSpec, b: IndexSpec): boolean {
  return INDEX_OPTIONS.every((o) => canonicalKey(a[o]) === canonicalKey(b[o]));
}

const INVALID_DB_CHARS = /[/\\. "$\0]/;

/** All databases of one stand-in instance. */
export class Store implements Journal {
  private readonly dbs = new Map<string, Map<string, Collection>>();
  private nextCollectionId = 1;
  /** Writes of the command being run; undefined while loading (nothing to store). */
  private pending: Write[] | undefined;
  private failure: Error | undefined;

  /** Rebuilds the working set from what the persistence holds; throws if it is inconsistent. */
  constructor(private readonly persistence: Persistence) {
    for (const stored of persistence.load()) {
      const collection = new Collection(stored.id, stored.db, stored.name, stored.options, this);
      for (const spec of stored.indexes) collection.createIndex(spec);
      try {
        for (const [rid, doc] of stored.documents()) collection.restore(rid, doc);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(`stored collection ${collection.ns} breaks its own index: ${message}`);
      }
      this.place(collection);
      this.nextCollectionId = Math.max(this.nextCollectionId, stored.id + 1);
    }
    this.pending = [];
  }

  get storage(): StandinStorage {
    return this.persistence.storage;
  }

  /** Set once a commit failed: memory then holds writes the disk may not, so nothing more is served. */
  get failed(): Error | undefined {
    return this.failure;
  }

  record(write: Write): void {
    this.pending?.push(write);
  }

  /**
   * Makes the writes of the command just run durable (one transaction). A failure
   * poisons the store: its memory is ahead of its storage and cannot be trusted.
   */
  commit(): void {
    if (!this.pending || this.pending.length === 0) return;
    const writes = this.pending;
    this.pending = [];
    try {
      this.persistence.commit(writes);
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      throw this.failure;
    }
  }

  /** See Persistence.announce. */
  announce(url: string): void {
    this.persistence.announce(url);
  }

  close(): void {
    this.persistence.close();
  }

  databaseNames(): string[] {
    return [...this.dbs.keys()];
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  get(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** Returns the collection, creating it (and its database) implicitly like mongod. */
  ensure(db: string, name: string, options: Doc = {}): { collection: Collection; created: boolean } {
    const existing = this.get(db, name);
    if (existing) return { collection: existing, created: false };
    validateNames(db, name);
    const collection = new Collection(this.nextCollectionId++, db, name, options, this);
    this.place(collection);
    this.record({ op: 'createCollection', collection: collection.id, db, name, options });
    return { collection, created: true };
  }

  drop(db: string, name: string): Collection | undefined {
    const existing = this.unplace(db, name);
    if (existing) this.record({ op: 'dropCollection', collection: existing.id });
    return existing;
  }

  dropDatabase(db: string): boolean {
    const collections = this.collections(db);
    for (const c of collections) this.drop(db, c.name);
    return collections.length > 0;
  }

  /** Moves a collection, keeping its documents and indexes; the target name must be free. */
  rename(fromDb: string, from: string, toDb: string, to: string): void {
    if (!this.get(fromDb, from)) throw new CommandError('NamespaceNotFound', `Source collection ${fromDb}.${from} does not exist`);
    if (this.get(toDb, to)) throw new CommandError('NamespaceExists', 'target namespace exists');
    validateNames(toDb, to);
    const collection = this.unplace(fromDb, from)!;
    collection.db = toDb;
    collection.name = to;
    this.place(collection);
    this.record({ op: 'renameCollection', collection: collection.id, db: toDb, name: to });
  }

  private place(collection: Collection): void {
    let collections = this.dbs.get(collection.db);
    if (!collections) this.dbs.set(collection.db, (collections = new Map()));
    collections.set(collection.name, collection);
  }

  private unplace(db: string, name: string): Collection | undefined {
    const collections = this.dbs.get(db);
    const existing = collections?.get(name);
    if (!collections || !existing) return undefined;
    collections.delete(name);
    // mongod forgets a database once its last collection is gone.
    if (collections.size === 0) this.dbs.delete(db);
    return existing;
  }
}

function validateNames(db: string, name: string): void {
  if (db.length === 0 || INVALID_DB_CHARS.test(db)) throw new CommandError('InvalidNamespace', `Invalid database name: '${db}'`);
  if (name.length === 0 || name.includes('\0') || name.startsWith('.') || (name.includes('$') && !name.startsWith('system.'))) {
    throw new CommandError('InvalidNamespace', `Invalid collection name: ${name}`);
  }
}
