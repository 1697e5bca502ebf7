/**
 * Database and collection lifecycle: create, drop, list, rename. Databases and
 * collections also appear implicitly on first write, as in mongod.
 */
import { Query } from 'mingo';
import { BSON } from 'bson';
import { boolArg, collectionArg, docArg, numberArg, type Handler } from '../context';
import { CommandError } from '../errors';
import type { Doc } from '../doc';

/** Collection options echoed by listCollections; validators are stored, not enforced. */
const CREATE_OPTIONS = ['capped', 'size', 'max', 'validator', 'validationLevel', 'validationAction', 'collation', 'timeseries', 'expireAfterSeconds', 'clusteredIndex'];

const create: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'create');
  const { store } = ctx.server;
  if (store.get(ctx.db, name)) throw new CommandError('NamespaceExists', `Collection ${ctx.db}.${name} already exists.`);
  const options: Doc = {};
  for (const key of CREATE_OPTIONS) if (cmd[key] !== undefined) options[key] = cmd[key];
  store.ensure(ctx.db, name, options);
  return {};
};

const drop: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'drop');
  const dropped = ctx.server.store.drop(ctx.db, name);
  // mongod 7 answers ok for a missing collection too.
  return dropped ? { ns: dropped.ns, nIndexesWas: dropped.indexSpecs().length } : {};
};

const dropDatabase: Handler = (_cmd, ctx) => {
  ctx.server.store.dropDatabase(ctx.db);
  return { dropped: ctx.db };
};

const listCollections: Handler = (cmd, ctx) => {
  const filter = docArg(cmd, 'filter');
  const nameOnly = boolArg(cmd, 'nameOnly', false);
  const cursorOpts = docArg(cmd, 'cursor') ?? {};
  let infos: Doc[] = ctx.server.store.collections(ctx.db).map((c) => ({
    name: c.name,
    type: 'collection',
    options: c.options,
    info: { readOnly: false },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  }));
  if (filter) {
    const query = new Query(filter);
    infos = infos.filter((info) => query.test(info));
  }
  if (nameOnly) infos = infos.map((info) => ({ name: info.name, type: info.type }));
  return ctx.server.cursors.first(`${ctx.db}.$cmd.listCollections`, infos, { batchSize: numberArg(cursorOpts, 'batchSize') });
};

const listDatabases: Handler = (cmd, ctx) => {
  const { store } = ctx.server;
  const filter = docArg(cmd, 'filter');
  let dbs: Doc[] = store.databaseNames().map((name) => {
    const sizeOnDisk = store.collections(name).reduce((sum, c) => {
      let bytes = 0;
      for (const doc of c.records.values()) bytes += BSON.calculateObjectSize(doc);
      return sum + bytes;
    }, 0);
    return { name, sizeOnDisk, empty: sizeOnDisk === 0 };
  });
  if (filter) {
    const query = new Query(filter);
    dbs = dbs.filter((d) => query.test(d));
  }
  if (boolArg(cmd, 'nameOnly', false)) return { databases: dbs.map((d) => ({ name: d.name })) };
  return { databases: dbs, totalSize: dbs.reduce((s, d) => s + (d.sizeOnDisk as number), 0), totalSizeMb: 0 };
};

const renameCollection: Handler = (cmd, ctx) => {
  const from = splitNs(cmd.renameCollection);
  const to = splitNs(cmd.to);
  const { store } = ctx.server;
  if (!store.get(from.db, from.coll)) throw new CommandError('NamespaceNotFound', `Source collection ${from.db}.${from.coll} does not exist`);
  if (store.get(to.db, to.coll)) {
    if (!boolArg(cmd, 'dropTarget', false)) throw new CommandError('NamespaceExists', `target namespace exists`);
    store.drop(to.db, to.coll);
  }
  store.rename(from.db, from.coll, to.db, to.coll);
  return {};
};

const dbStats: Handler = (_cmd, ctx) => {
  const collections = ctx.server.store.collections(ctx.db);
  const objects = collections.reduce((n, c) => n + c.size, 0);
  const indexes = collections.reduce((n, c) => n + c.indexSpecs().length, 0);
  return { db: ctx.db, collections: collections.length, views: 0, objects, indexes, dataSize: 0, storageSize: 0 };
};

function splitNs(value: unknown): { db: string; coll: string } {
  if (typeof value !== 'string' || !value.includes('.')) throw new CommandError('InvalidNamespace', `Invalid namespace specified '${String(value)}'`);
  const dot = value.indexOf('.');
  return { db: value.slice(0, dot), coll: value.slice(dot + 1) };
}

export const namespaceCommands: Record<string, Handler> = {
  create,
  drop,
  dropDatabase,
  listCollections,
  listDatabases,
  renameCollection,
  dbStats,
};
