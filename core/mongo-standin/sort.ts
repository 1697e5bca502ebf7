/**
 * Sorting by a MongoDB sort spec through mingo's comparator, keeping object identity
 * (writers need to know which stored record each sorted document came from).
 */
import { Query } from 'mingo';
import { CommandError } from './errors';
import type { Doc } from './doc';

const everything = new Query({});

export function sortDocuments(docs: Doc[], sort: Doc | undefined): Doc[] {
  if (!sort || Object.keys(sort).length === 0) return docs;
  const spec: Record<string, 1 | -1> = {};
  for (const [field, dir] of Object.entries(sort)) {
    if (field === '$natural') {
      // Natural order is insertion order; only the direction matters.
      if (Object.keys(sort).length === 1) return dir === -1 ? [...docs].reverse() : docs;
      continue;
    }
    if (dir !== 1 && dir !== -1) {
      if (typeof dir === 'object' && dir !== null && '$meta' in dir) continue;
      throw new CommandError('BadValue', `$sort key ordering must be 1 (for ascending) or -1 (for descending)`);
    }
    spec[field] = dir;
  }
  return everything.find(docs).sort(spec).all() as Doc[];
}
