/**
 * Projection through mingo, with mongod's field order restored: mingo emits included
 * fields in projection order and `_id` last, mongod keeps the document's own order.
 */
import { idFirst, type Doc } from './doc';
import { compileFilter } from './filter';

export function projectDocuments(docs: Doc[], projection: Doc | undefined): Doc[] {
  if (!projection || Object.keys(projection).length === 0) return docs;
  const projected = compileFilter({}).find(docs, projection).all() as Doc[];
  return projected.map((out, i) => idFirst(inSourceOrder(out, docs[i]!)));
}

function inSourceOrder(out: Doc, source: Doc): Doc {
  const ordered: Doc = {};
  for (const key of Object.keys(source)) if (key in out) ordered[key] = out[key];
  // Computed fields (not in the source) follow, in the order mingo produced them.
  for (const key of Object.keys(out)) if (!(key in ordered)) ordered[key] = out[key];
  return ordered;
}
