/**
 * Sorting by a MongoDB sort spec with mingo's BSON-order comparator. Done here rather
 * than through a mingo cursor because writers need object identity kept (to find the
 * stored record) and because findAndModify only wants the first document: a linear scan.
 */
import { compare, resolve } from 'mingo/util';
import { CommandError } from './errors';
import type { Doc } from './doc';

type SortKey = [field: string, direction: 1 | -1];

function parseSort(sort: Doc): SortKey[] | 'natural' | 'reverse' {
  const keys: SortKey[] = [];
  for (const [field, dir] of Object.entries(sort)) {
    if (field === '$natural') {
      // Natural order is insertion order; only the direction matters.
      if (Object.keys(sort).length === 1) return dir === -1 ? 'reverse' : 'natural';
      continue;
    }
    if (dir === 1 || dir === -1) keys.push([field, dir]);
    else if (!(typeof dir === 'object' && dir !== null && '$meta' in dir)) {
      throw new CommandError('BadValue', '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    }
  }
  return keys;
}

/** An array sorts by its smallest element ascending and its largest descending, as in mongod. */
function sortValue(doc: Doc, field: string, direction: 1 | -1): unknown {
  const value = resolve(doc, field);
  if (!Array.isArray(value)) return value;
  if (value.length === 0) return undefined;
  return value.reduce((best: unknown, v: unknown) => (compare(v, best) * direction < 0 ? v : best));
}

function comparator(keys: SortKey[]): (a: Doc, b: Doc) => number {
  return (a, b) => {
    for (const [field, direction] of keys) {
      const c = compare(sortValue(a, field, direction), sortValue(b, field, direction)) * direction;
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** A sorted copy (stable, so ties keep insertion order); the same objects, not copies. */
export function sortDocuments(docs: Doc[], sort: Doc | undefined): Doc[] {
  if (!sort || Object.keys(sort).length === 0) return docs;
  const keys = parseSort(sort);
  if (keys === 'natural') return docs;
  if (keys === 'reverse') return [...docs].reverse();
  return keys.length === 0 ? docs : [...docs].sort(comparator(keys));
}

/** The first document in sort order without sorting everything. */
export function firstDocument(docs: Doc[], sort: Doc | undefined): Doc | undefined {
  if (!sort || Object.keys(sort).length === 0) return docs[0];
  const keys = parseSort(sort);
  if (keys === 'natural') return docs[0];
  if (keys === 'reverse') return docs[docs.length - 1];
  if (keys.length === 0) return docs[0];
  const cmp = comparator(keys);
  let best = docs[0];
  for (const doc of docs) if (best !== undefined && cmp(doc, best) < 0) best = doc;
  return best;
}
