/**
 * Document helpers shared by storage and commands: copying, dotted paths, a canonical
 * key for BSON-aware equality, and mongod-style value printing for error messages.
 */
import { Binary, EJSON, ObjectId, type Document } from 'bson';

export type Doc = Document;

/**
 * How documents are decoded, from the wire and from disk alike: BSON types are kept
 * except that int32/int64 (when safe) become numbers, which is what mingo compares
 * correctly and what the driver itself does by default.
 */
export const DESERIALIZE_OPTIONS = { promoteLongs: true, promoteValues: true, promoteBuffers: false } as const;

export function isPlainObject(value: unknown): value is Doc {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Deep copy of plain objects, arrays, Dates and Binary buffers. The other BSON value
 * classes (ObjectId, Long, Decimal128, Timestamp...) are immutable and are shared.
 */
export function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => clone(v)) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value instanceof Binary) return new Binary(Buffer.from(value.buffer), value.sub_type) as T;
  if (isPlainObject(value)) {
    const out: Doc = {};
    for (const [k, v] of Object.entries(value)) out[k] = clone(v);
    return out as T;
  }
  return value;
}

/**
 * A string equal for values MongoDB considers equal (as far as this stand-in needs):
 * canonical Extended JSON keeps types apart (ObjectId vs its hex string) and key order,
 * and numbers of the same value print the same because they are all JS numbers here.
 */
export function canonicalKey(value: unknown): string {
  return EJSON.stringify(value === undefined ? null : (value as Doc), { relaxed: false });
}

/**
 * The key of one index entry (a tuple of field values): equal for tuples MongoDB's index
 * calls equal, as far as this stand-in needs. It runs for every unique index on every
 * write and for every stored document at start-up, so the scalar types index keys are
 * usually made of get a cheap encoding: a type letter, then the value, with lengths or
 * terminators so no two tuples share a key. Numbers compare by value (0 and -0 are one
 * key, as in mongod); anything else falls back to canonicalKey.
 */
export function indexKey(values: readonly unknown[]): string {
  let key = '';
  for (const v of values) {
    if (typeof v === 'string') key += `s${v.length}:${v}`;
    else if (typeof v === 'number') key += `n${v === 0 ? 0 : v};`;
    else if (v === null || v === undefined) key += 'z';
    else if (typeof v === 'boolean') key += v ? 't' : 'f';
    else if (v instanceof ObjectId) key += `o${v.toHexString()}`;
    else if (v instanceof Date) key += `d${v.getTime()};`;
    else {
      const other = canonicalKey(v);
      key += `x${other.length}:${other}`;
    }
  }
  return key;
}

export function sameDocument(a: Doc, b: Doc): boolean {
  return canonicalKey(a) === canonicalKey(b);
}

/**
 * Every value reachable at a dotted path, descending through arrays the way index keys
 * and `distinct` do: arrays at the leaf contribute their elements, a numeric segment
 * indexes into an array. A missing path yields no values.
 */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  walkPath(doc, path.split('.'), 0, out);
  return out;
}

/** valuesAtPath's descent from `parts[at]` on; a plain function (this runs per document and index). */
function walkPath(node: unknown, parts: string[], at: number, out: unknown[]): void {
  if (at === parts.length) {
    if (Array.isArray(node)) out.push(...node);
    else out.push(node);
    return;
  }
  const head = parts[at]!;
  if (Array.isArray(node)) {
    if (/^\d+$/.test(head)) {
      const idx = Number(head);
      if (idx < node.length) walkPath(node[idx], parts, at + 1, out);
    }
    for (const el of node) if (el !== null && typeof el === 'object' && !Array.isArray(el)) walkPath(el, parts, at, out);
    return;
  }
  if (node !== null && typeof node === 'object' && Object.hasOwn(node, head)) {
    walkPath((node as Doc)[head], parts, at + 1, out);
  }
}

/** Sets a dotted path, creating intermediate objects (used to seed upserted documents). */
export function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: Doc = doc;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!isPlainObject(next)) node[part] = {};
    node = node[part] as Doc;
  }
  node[parts[parts.length - 1]!] = value;
}

/** A copy with `_id` as the first field, where mongod always keeps it. */
export function idFirst(doc: Doc): Doc {
  if (!('_id' in doc)) return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

/** Adds a fresh ObjectId `_id` when the document has none. */
export function withId(doc: Doc): Doc {
  return '_id' in doc ? idFirst(doc) : { _id: new ObjectId(), ...doc };
}

/** Prints a value like mongod does inside `dup key: { ... }` messages. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (Array.isArray(value)) return `[ ${value.map(formatValue).join(', ')} ]`;
  if (isPlainObject(value)) return formatDoc(value);
  return EJSON.stringify(value as Doc, { relaxed: true });
}

export function formatDoc(doc: Doc): string {
  const fields = Object.entries(doc).map(([k, v]) => `${k}: ${formatValue(v)}`);
  return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
}
