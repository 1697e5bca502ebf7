/**
 * The stand-in's index lookups only narrow: for any filter, the records `candidates()`
 * offers and the filter accepts are exactly those a full scan accepts, in the same
 * (natural) order. Checked on a collection driven directly (no wire), through inserts,
 * updates that move indexed values, deletes and index changes, with values of every kind
 * whose equality is subtle (arrays, nested arrays, null and missing, -0, Dates, ObjectIds
 * and their hex strings, documents).
 */
import { Long, ObjectId } from 'bson';
import { Collection } from '../../mongo-standin/storage';
import { compileFilter } from '../../mongo-standin/filter';
import type { Doc } from '../../mongo-standin/doc';

const REF = new ObjectId('65a1b2c3d4e5f60718293a4b');
const VALUES: unknown[] = [
  'a', 'b', '1', 1, 1.5, 0, -0, 2, true, false, null, undefined, new Date(1), new Date(2), REF, REF.toHexString(),
  ['a', 'b'], ['b', null], [['a']], [], [1, new Date(2)], { a: 1 }, { x: 'a' }, [{ x: 'a' }, { x: 'b' }], Long.fromString('9007199254740993'),
];

/** A small deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function build(next: () => number): Doc {
  const pick = () => VALUES[Math.floor(next() * VALUES.length)];
  const doc: Doc = {};
  for (const field of ['a', 'b', 'c', 'd']) {
    const v = pick();
    if (v !== undefined) doc[field] = field === 'd' ? { e: v } : v;
  }
  return doc;
}

function filters(ids: unknown[]): Doc[] {
  const out: Doc[] = [];
  for (const v of VALUES) {
    if (v === undefined) continue;
    out.push({ a: v }, { b: v }, { c: v }, { 'd.e': v }, { a: { $eq: v } }, { a: { $in: [v, 'b'] } }, { b: v, c: v }, { a: v, b: { $in: [v, 1] } });
  }
  for (const id of ids) out.push({ _id: id }, { _id: id, a: 'a' }, { _id: { $in: [id, 'none'] } }, { _id: id, b: { $in: ['a', 1] } });
  out.push({ a: { $in: [] } }, { a: { $gt: 0 } }, { a: { $ne: 'a' } }, { a: 'a', $or: [{ b: 1 }, { c: 'a' }] }, { $and: [{ a: 'a' }] }, {});
  return out;
}

/** Values a lookup answers equality on exactly (see lookupKey in storage.ts). */
const isScalar = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v) || v instanceof Date || v instanceof ObjectId;

function check(collection: Collection, indexed: string[]): void {
  const ids = [...collection.records.values()].slice(0, 6).map((d) => d._id);
  for (const filter of filters(ids)) {
    const query = compileFilter(filter);
    const scanned = [...collection.records].filter(([, doc]) => query.test(doc)).map(([rid]) => rid);
    const candidates = collection.candidates(filter);
    // No lookup may keep a record that is gone...
    expect(candidates.filter(([rid, doc]) => collection.records.get(rid) !== doc)).toEqual([]);
    const looked = candidates.filter(([, doc]) => query.test(doc)).map(([rid]) => rid);
    expect({ filter, rids: looked }).toEqual({ filter, rids: scanned });
    // ...or a value a record no longer has: on one top-level field, a lookup is exact.
    const [field, ...more] = Object.keys(filter);
    if (field && more.length === 0 && indexed.includes(field) && isScalar(filter[field])) {
      expect({ filter, rids: candidates.map(([rid]) => rid) }).toEqual({ filter, rids: scanned });
    }
  }
}

test('index lookups give the same matches as a full scan, in natural order', () => {
  const next = random(7);
  const collection = new Collection(1, 'db', 'c', {}, { record: () => undefined });
  collection.createIndex({ key: { a: 1 }, name: 'a' });
  collection.createIndex({ key: { b: 1, c: -1 }, name: 'b_c' });
  collection.createIndex({ key: { 'd.e': 1 }, name: 'd_e' });
  const rids: number[] = [];
  for (let i = 0; i < 150; i++) rids.push(collection.insert({ _id: i % 3 === 0 ? `s${i}` : i, ...build(next) }));
  check(collection, ['a', 'b']);
  for (let round = 0; round < 3; round++) {
    for (const rid of rids) {
      const doc = collection.records.get(rid);
      if (!doc) continue;
      const roll = next();
      if (roll < 0.15) collection.remove(rid);
      else if (roll < 0.6) collection.replace(rid, { _id: doc._id, ...build(next) });
    }
    for (let i = 0; i < 20; i++) rids.push(collection.insert({ _id: new ObjectId(), ...build(next) }));
    check(collection, ['a', 'b']);
  }
  collection.dropIndex('a');
  check(collection, ['b']);
  collection.createIndex({ key: { c: 1 }, name: 'c' });
  collection.createIndex({ key: { a: 1, b: 1 }, name: 'a_b', unique: false });
  check(collection, ['a', 'b', 'c']);
});
