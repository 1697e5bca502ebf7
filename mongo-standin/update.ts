/**
 * Update documents (`u` of update/findAndModify): operator documents go through mingo's
 * updater, replacement documents replace, pipelines run through mingo's updateOne.
 * Everything here works on copies and returns the new document.
 */
import { update as applyOperators, updateOne as applyPipeline } from 'mingo';
import { CommandError } from './errors';
import { clone, idFirst, isPlainObject, sameDocument, setPath, withId, type Doc } from './doc';

export type UpdateSpec =
  | { kind: 'operators'; operators: Doc; setOnInsert: Doc | undefined }
  | { kind: 'replacement'; doc: Doc }
  | { kind: 'pipeline'; stages: Doc[] };

export interface UpdateContext {
  /** The query of the statement: mingo resolves the positional `$` operator with it. */
  query: Doc;
  arrayFilters: Doc[] | undefined;
}

export function parseUpdate(u: unknown): UpdateSpec {
  if (Array.isArray(u)) {
    if (!u.every(isPlainObject)) throw new CommandError('FailedToParse', 'Update pipeline stages must be objects');
    return { kind: 'pipeline', stages: u };
  }
  if (!isPlainObject(u)) throw new CommandError('FailedToParse', 'Update argument must be either an object or an array');
  const keys = Object.keys(u);
  const operatorKeys = keys.filter((k) => k.startsWith('$'));
  if (operatorKeys.length === 0) {
    return { kind: 'replacement', doc: u };
  }
  if (operatorKeys.length !== keys.length) {
    const plain = keys.find((k) => !k.startsWith('$'));
    throw new CommandError('FailedToParse', `Unknown modifier: ${plain}. Expected a valid update modifier or pipeline-style update specified as an array`);
  }
  const operators: Doc = {};
  let setOnInsert: Doc | undefined;
  for (const [op, arg] of Object.entries(u)) {
    if (!isPlainObject(arg)) {
      throw new CommandError('FailedToParse', `Modifiers operate on fields but we found type ${typeof arg} instead. For example: {$mod: {<field>: ...}} not {${op}: ${String(arg)}}`);
    }
    // mongod accepts empty operands ({$set: {}}) as no-ops; mingo would not.
    if (Object.keys(arg).length === 0) continue;
    if (op === '$setOnInsert') setOnInsert = arg;
    else operators[op] = arg;
  }
  return { kind: 'operators', operators, setOnInsert };
}

/** Applies an update to an existing document; returns the new document (never the input). */
export function applyUpdate(spec: UpdateSpec, current: Doc, ctx: UpdateContext): Doc {
  let next: Doc;
  if (spec.kind === 'replacement') {
    next = { ...clone(spec.doc) };
    if (!('_id' in next)) next = { _id: current._id, ...next };
  } else if (spec.kind === 'pipeline') {
    const holder = [clone(current)];
    applyPipeline(holder, {}, spec.stages as never);
    next = holder[0]!;
  } else {
    next = clone(current);
    if (Object.keys(spec.operators).length > 0) {
      applyOperators(next, spec.operators, ctx.arrayFilters, positionalQuery(spec.operators, ctx.query) as never, { cloneMode: 'deep' });
    }
  }
  if ('_id' in current && !sameDocument({ v: current._id }, { v: next._id })) {
    throw new CommandError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  return idFirst(next);
}

/** The document an upsert inserts: the query's equality fields, then the update. */
export function buildUpsert(spec: UpdateSpec, ctx: UpdateContext): Doc {
  const seed: Doc = {};
  seedFromQuery(ctx.query, seed);
  let doc: Doc;
  if (spec.kind === 'replacement') {
    doc = clone(spec.doc);
    if (!('_id' in doc) && '_id' in seed) doc = { _id: seed._id, ...doc };
  } else if (spec.kind === 'pipeline') {
    const holder = [seed];
    applyPipeline(holder, {}, spec.stages as never);
    doc = holder[0]!;
  } else {
    doc = seed;
    if (Object.keys(spec.operators).length > 0) {
      applyOperators(doc, spec.operators, ctx.arrayFilters, undefined, { cloneMode: 'deep' });
    }
    if (spec.setOnInsert) applyOperators(doc, { $set: spec.setOnInsert }, undefined, undefined, { cloneMode: 'deep' });
    if ('_id' in seed && '_id' in doc && !sameDocument({ v: seed._id }, { v: doc._id })) {
      throw new CommandError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
    }
  }
  return withId(doc);
}

/** Copies `{field: value}` and `{field: {$eq: value}}` terms (also inside $and) into the seed. */
function seedFromQuery(query: Doc, seed: Doc): void {
  for (const [key, value] of Object.entries(query)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const clause of value) if (isPlainObject(clause)) seedFromQuery(clause, seed);
      continue;
    }
    if (key.startsWith('$')) continue;
    if (value instanceof RegExp) continue;
    if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
      if ('$eq' in value) setPath(seed, key, clone(value.$eq));
      continue;
    }
    setPath(seed, key, clone(value));
  }
}

/** mingo needs the statement's query only to resolve a positional `$` path; it re-tests it otherwise. */
function positionalQuery(operators: Doc, query: Doc): Doc | undefined {
  for (const fields of Object.values(operators)) {
    if (isPlainObject(fields) && Object.keys(fields).some((path) => /(^|\.)\$(\.|$)/.test(path))) return query;
  }
  return undefined;
}
