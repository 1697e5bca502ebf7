/**
 * Write commands: insert, update, delete, findAndModify. Per-statement failures become
 * `writeErrors` entries (ordered batches stop at the first one); findAndModify fails the
 * whole command instead, as mongod does.
 */
import type { Document } from 'bson';
import { boolArg, collectionArg, docArg, docsArg, numberArg, type CommandContext, type Handler } from '../context';
import { CommandError, toCommandError } from '../errors';
import { clone, sameDocument, withId, type Doc } from '../doc';
import { compileFilter } from '../filter';
import { applyUpdate, buildUpsert, parseUpdate } from '../update';
import { firstDocument, sortDocuments } from '../sort';
import { projectDocuments } from '../project';
import type { Collection } from '../storage';

/** Stored records matching a filter, optionally sorted and cut to the first one. */
function matching(collection: Collection | undefined, filter: unknown, sort: Doc | undefined, one: boolean): Array<[number, Doc]> {
  if (!collection) return [];
  const query = compileFilter(filter);
  const entries: Array<[number, Doc]> = [];
  const ridOf = new Map<Doc, number>();
  for (const entry of collection.candidates(filter as Doc | undefined)) {
    if (!query.test(entry[1])) continue;
    // Without a sort the first match is the answer: stop scanning.
    if (one && !sort) return [entry];
    entries.push(entry);
    ridOf.set(entry[1], entry[0]);
  }
  if (!sort || Object.keys(sort).length === 0) return one ? entries.slice(0, 1) : entries;
  const docs = entries.map(([, doc]) => doc);
  const picked = one ? [firstDocument(docs, sort)].filter((d) => d !== undefined) : sortDocuments(docs, sort);
  return picked.map((doc) => [ridOf.get(doc)!, doc]);
}

function writeError(index: number, err: unknown): Document {
  const e = toCommandError(err);
  return { index, code: e.code, errmsg: e.message, ...e.extra };
}

function checkId(doc: Doc): void {
  if (Array.isArray(doc._id)) throw new CommandError('BadValue', "can't use an array for _id");
  if (doc._id instanceof RegExp) throw new CommandError('BadValue', "can't use a regex for _id");
}

function withErrors(reply: Document, writeErrors: Document[]): Document {
  return writeErrors.length > 0 ? { ...reply, writeErrors } : reply;
}

const insert: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'insert');
  const docs = docsArg(cmd, 'documents');
  const ordered = boolArg(cmd, 'ordered', true);
  const { collection } = ctx.server.store.ensure(ctx.db, name);
  let n = 0;
  const writeErrors: Document[] = [];
  for (const [index, raw] of docs.entries()) {
    try {
      const doc = withId(clone(raw));
      checkId(doc);
      collection.insert(doc);
      n += 1;
    } catch (err) {
      writeErrors.push(writeError(index, err));
      if (ordered) break;
    }
  }
  return withErrors({ n }, writeErrors);
};

interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId?: unknown;
}

function updateStatement(ctx: CommandContext, name: string, stmt: Doc): UpdateOutcome {
  const query = docArg(stmt, 'q') ?? {};
  const spec = parseUpdate(stmt.u);
  const multi = boolArg(stmt, 'multi', false);
  if (multi && spec.kind === 'replacement') throw new CommandError('FailedToParse', 'multi update is not supported for replacement-style update');
  const arrayFilters = Array.isArray(stmt.arrayFilters) ? (stmt.arrayFilters as Doc[]) : undefined;
  const { store } = ctx.server;
  const existing = store.get(ctx.db, name);
  const targets = matching(existing, query, docArg(stmt, 'sort'), !multi);
  if (targets.length === 0) {
    if (!boolArg(stmt, 'upsert', false)) return { matched: 0, modified: 0 };
    const doc = buildUpsert(spec, { query, arrayFilters });
    checkId(doc);
    store.ensure(ctx.db, name).collection.insert(doc);
    return { matched: 0, modified: 0, upsertedId: doc._id };
  }
  let modified = 0;
  for (const [rid, current] of targets) {
    const next = applyUpdate(spec, current, { query, arrayFilters });
    if (sameDocument(current, next)) continue;
    existing!.replace(rid, next);
    modified += 1;
  }
  return { matched: targets.length, modified };
}

const update: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'update');
  const statements = docsArg(cmd, 'updates');
  const ordered = boolArg(cmd, 'ordered', true);
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const writeErrors: Document[] = [];
  for (const [index, stmt] of statements.entries()) {
    try {
      const outcome = updateStatement(ctx, name, stmt);
      if (outcome.upsertedId !== undefined) {
        upserted.push({ index, _id: outcome.upsertedId });
        n += 1;
      }
      n += outcome.matched;
      nModified += outcome.modified;
    } catch (err) {
      writeErrors.push(writeError(index, err));
      if (ordered) break;
    }
  }
  const reply: Document = { n, nModified };
  if (upserted.length > 0) reply.upserted = upserted;
  return withErrors(reply, writeErrors);
};

const remove: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'delete');
  const statements = docsArg(cmd, 'deletes');
  const ordered = boolArg(cmd, 'ordered', true);
  const collection = ctx.server.store.get(ctx.db, name);
  let n = 0;
  const writeErrors: Document[] = [];
  for (const [index, stmt] of statements.entries()) {
    try {
      const limit = numberArg(stmt, 'limit') ?? 0;
      if (limit !== 0 && limit !== 1) throw new CommandError('FailedToParse', 'The limit field in delete objects must be 0 or 1');
      for (const [rid] of matching(collection, stmt.q, undefined, limit === 1)) {
        collection!.remove(rid);
        n += 1;
      }
    } catch (err) {
      writeErrors.push(writeError(index, err));
      if (ordered) break;
    }
  }
  return withErrors({ n }, writeErrors);
};

function project(doc: Doc | null, fields: Doc | undefined): Doc | null {
  if (!doc) return null;
  if (!fields || Object.keys(fields).length === 0) return clone(doc);
  return clone(projectDocuments([doc], fields)[0]!);
}

const findAndModify: Handler = (cmd, ctx) => {
  const name = collectionArg(cmd, 'findAndModify' in cmd ? 'findAndModify' : 'findandmodify');
  const query = docArg(cmd, 'query') ?? {};
  const fields = docArg(cmd, 'fields');
  const remove = boolArg(cmd, 'remove', false);
  const returnNew = boolArg(cmd, 'new', false);
  if (remove && cmd.update !== undefined) throw new CommandError('FailedToParse', 'Cannot specify both an update and remove=true');
  if (!remove && cmd.update === undefined) throw new CommandError('FailedToParse', 'Either an update or remove=true must be specified');
  if (remove && boolArg(cmd, 'upsert', false)) throw new CommandError('FailedToParse', 'Cannot specify both upsert=true and remove=true');
  const { store } = ctx.server;
  const collection = store.get(ctx.db, name);
  const [found] = matching(collection, query, docArg(cmd, 'sort'), true);

  if (remove) {
    if (!found) return { lastErrorObject: { n: 0 }, value: null };
    collection!.remove(found[0]);
    return { lastErrorObject: { n: 1 }, value: project(found[1], fields) };
  }
  const spec = parseUpdate(cmd.update);
  const arrayFilters = Array.isArray(cmd.arrayFilters) ? (cmd.arrayFilters as Doc[]) : undefined;
  if (found) {
    const [rid, current] = found;
    const next = applyUpdate(spec, current, { query, arrayFilters });
    if (!sameDocument(current, next)) collection!.replace(rid, next);
    return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(returnNew ? next : current, fields) };
  }
  if (!boolArg(cmd, 'upsert', false)) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
  const doc = buildUpsert(spec, { query, arrayFilters });
  checkId(doc);
  store.ensure(ctx.db, name).collection.insert(doc);
  return { lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id }, value: returnNew ? project(doc, fields) : null };
};

export const writeCommands: Record<string, Handler> = {
  insert,
  update,
  delete: remove,
  findAndModify,
  findandmodify: findAndModify,
};
