/**
 * Read commands: find, getMore, killCursors, count, distinct, aggregate. Filters,
 * projections, sorts and pipelines are evaluated by mingo; results are copied out of
 * storage before they are batched.
 */
import { Aggregator } from 'mingo';
import { Long } from 'bson';
import { boolArg, collectionArg, docArg, docsArg, numberArg, type CommandContext, type Handler } from '../context';
import { CommandError } from '../errors';
import { canonicalKey, clone, isPlainObject, valuesAtPath, withId, type Doc } from '../doc';
import { compileFilter } from '../filter';
import { sortDocuments } from '../sort';
import { projectDocuments } from '../project';

function storedDocs(ctx: CommandContext, name: string): Doc[] {
  return [...(ctx.server.store.get(ctx.db, name)?.records.values() ?? [])];
}

/** Stored documents matching a filter (from index lookups when the filter allows; see Collection.candidates). */
function matchingDocs(ctx: CommandContext, name: string, filter: unknown): Doc[] {
  const query = compileFilter(filter);
  const collection = ctx.server.store.get(ctx.db, name);
  if (!collection) return [];
  return collection.candidates(filter as Doc | undefined).map(([, doc]) => doc).filter((doc) => query.test(doc));
}

const find: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'find');
  const projection = docArg(cmd, 'projection');
  const skip = numberArg(cmd, 'skip') ?? 0;
  const rawLimit = numberArg(cmd, 'limit') ?? 0;
  if (skip < 0) throw new CommandError('BadValue', 'skip value must be non-negative');
  let docs = matchingDocs(ctx, name, cmd.filter);
  docs = sortDocuments(docs, docArg(cmd, 'sort'));
  // A negative limit is the legacy way of asking for one batch of |limit| documents.
  const limit = Math.abs(rawLimit);
  docs = docs.slice(skip, limit > 0 ? skip + limit : undefined);
  docs = projectDocuments(docs, projection);
  return ctx.server.cursors.first(`${ctx.db}.${name}`, docs.map(clone), {
    batchSize: numberArg(cmd, 'batchSize'),
    singleBatch: boolArg(cmd, 'singleBatch', false) || rawLimit < 0,
  });
};

const getMore: Handler = (cmd, ctx) => {
  const id = numberArg(cmd, 'getMore');
  if (id === undefined) throw new CommandError('TypeMismatch', "BSON field 'getMore' is missing");
  const name = collectionArg(cmd, 'collection');
  return ctx.server.cursors.more(id, `${ctx.db}.${name}`, numberArg(cmd, 'batchSize'));
};

const killCursors: Handler = (cmd, ctx) => {
  collectionArg(cmd, 'killCursors');
  const ids = Array.isArray(cmd.cursors) ? cmd.cursors.map((c: unknown) => (typeof c === 'number' ? c : Number(c))) : [];
  const { killed, notFound } = ctx.server.cursors.kill(ids);
  const asLongs = (xs: number[]) => xs.map((x) => Long.fromNumber(x));
  return { cursorsKilled: asLongs(killed), cursorsNotFound: asLongs(notFound), cursorsAlive: [], cursorsUnknown: [] };
};

const count: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'count');
  const skip = numberArg(cmd, 'skip') ?? 0;
  const limit = Math.abs(numberArg(cmd, 'limit') ?? 0);
  let n = Math.max(0, matchingDocs(ctx, name, cmd.query).length - skip);
  if (limit > 0) n = Math.min(n, limit);
  return { n };
};

const distinct: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'distinct');
  const key = cmd.key as unknown;
  if (typeof key !== 'string') throw new CommandError('TypeMismatch', "BSON field 'distinct.key' must be a string");
  const values = new Map<string, unknown>();
  for (const doc of matchingDocs(ctx, name, cmd.query)) {
    for (const v of valuesAtPath(doc, key)) {
      const k = canonicalKey(v);
      if (!values.has(k)) values.set(k, v);
    }
  }
  return { values: sortDocuments([...values.values()].map((v) => ({ v })), { v: 1 }).map((d) => clone(d.v)) };
};

const aggregate: Handler = (cmd, ctx) => {
  const target = cmd.aggregate as unknown;
  // `aggregate: 1` runs a collection-less pipeline (e.g. starting with $documents).
  const name = target === 1 ? undefined : collectionArg(cmd, 'aggregate');
  const stages = docsArg(cmd, 'pipeline');
  if (cmd.explain) throw new CommandError('CommandNotSupported', 'explain is not supported by the MongoDB stand-in');
  const cursorOpts = docArg(cmd, 'cursor');
  if (!cursorOpts) throw new CommandError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
  const last = stages[stages.length - 1];
  for (const stage of ['$merge', '$changeStream']) {
    if (stages.some((s) => stage in s)) throw new CommandError('CommandNotSupported', `${stage} is not supported by the MongoDB stand-in`);
  }
  const outTarget = last && '$out' in last ? outNamespace(last.$out, ctx.db) : undefined;
  const pipeline = outTarget ? stages.slice(0, -1) : stages;

  const aggregator = new Aggregator(pipeline, {
    // $lookup / $unionWith read other collections of the same database; copies, since
    // mingo may add fields to the documents it is given.
    collectionResolver: (other: string) => storedDocs(ctx, other).map(clone),
  });
  const source = name === undefined ? [] : sourceDocs(ctx, name, pipeline[0]).map(clone);
  const results = aggregator.run(source) as Doc[];
  if (outTarget) {
    replaceCollection(ctx, outTarget.db, outTarget.coll, results);
    return ctx.server.cursors.first(`${ctx.db}.${name ?? '$cmd.aggregate'}`, []);
  }
  return ctx.server.cursors.first(`${ctx.db}.${name ?? '$cmd.aggregate'}`, results, { batchSize: numberArg(cursorOpts, 'batchSize') });
};

/**
 * The documents a pipeline starts from: those a leading `$match` keeps, found like find's
 * (countDocuments is such a pipeline). The stage itself still runs, on those only; this
 * spares scanning and copying the documents it would drop.
 */
function sourceDocs(ctx: CommandContext, name: string, first: Doc | undefined): Doc[] {
  const match = first?.$match as unknown;
  return isPlainObject(match) ? matchingDocs(ctx, name, match) : storedDocs(ctx, name);
}

function outNamespace(spec: unknown, db: string): { db: string; coll: string } {
  if (typeof spec === 'string') return { db, coll: spec };
  if (isPlainObject(spec) && typeof spec.coll === 'string') return { db: typeof spec.db === 'string' ? spec.db : db, coll: spec.coll };
  throw new CommandError('FailedToParse', '$out takes a collection name or {db, coll}');
}

/** $out: the target's documents are replaced, its indexes kept (and enforced). */
function replaceCollection(ctx: CommandContext, db: string, coll: string, docs: Doc[]): void {
  const { store } = ctx.server;
  const old = store.get(db, coll);
  const specs = old?.indexSpecs().filter((s) => s.name !== '_id_') ?? [];
  store.drop(db, coll);
  const { collection } = store.ensure(db, coll, old?.options);
  for (const spec of specs) collection.createIndex(spec);
  for (const doc of docs) collection.insert(withId(clone(doc)));
}

export const readCommands: Record<string, Handler> = {
  find,
  getMore,
  killCursors,
  count,
  distinct,
  aggregate,
};
