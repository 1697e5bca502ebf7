/**
 * createIndexes / listIndexes / dropIndexes. Index specs are recorded and listed;
 * only `unique` (with `sparse` and `partialFilterExpression`) changes behaviour —
 * queries never use indexes, and TTL (`expireAfterSeconds`) is not enforced.
 */
import { collectionArg, docArg, docsArg, numberArg, type Handler } from '../context';
import { CommandError } from '../errors';
import { isPlainObject } from '../doc';

const createIndexes: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'createIndexes');
  const specs = docsArg(cmd, 'indexes');
  if (specs.length === 0) throw new CommandError('BadValue', 'Must specify at least one index to create');
  const { collection, created } = ctx.server.store.ensure(ctx.db, name);
  const before = collection.indexSpecs().length;
  let added = 0;
  for (const spec of specs) if (collection.createIndex(spec)) added += 1;
  const reply = {
    createdCollectionAutomatically: created,
    numIndexesBefore: before,
    numIndexesAfter: collection.indexSpecs().length,
  };
  return added === 0 ? { ...reply, note: 'all indexes already exist' } : reply;
};

const listIndexes: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'listIndexes');
  const collection = ctx.server.store.get(ctx.db, name);
  if (!collection) throw new CommandError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
  const cursorOpts = docArg(cmd, 'cursor') ?? {};
  return ctx.server.cursors.first(collection.ns, collection.indexSpecs(), { batchSize: numberArg(cursorOpts, 'batchSize') });
};

const dropIndexes: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'dropIndexes');
  const collection = ctx.server.store.get(ctx.db, name);
  if (!collection) throw new CommandError('NamespaceNotFound', `ns not found ${ctx.db}.${name}`);
  const nIndexesWas = collection.indexSpecs().length;
  const target = cmd.index as unknown;
  if (target === '*') {
    for (const spec of collection.indexSpecs()) if (spec.name !== '_id_') collection.dropIndex(spec.name);
  } else if (typeof target === 'string') {
    collection.dropIndex(target);
  } else if (Array.isArray(target)) {
    for (const n of target) collection.dropIndex(String(n));
  } else if (isPlainObject(target)) {
    const spec = collection.findIndexByKey(target);
    if (!spec) throw new CommandError('IndexNotFound', `can't find index with key: ${JSON.stringify(target)}`);
    collection.dropIndex(spec.name);
  } else {
    throw new CommandError('TypeMismatch', "BSON field 'index' must be a string, array or object");
  }
  return { nIndexesWas };
};

export const indexCommands: Record<string, Handler> = {
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
};
