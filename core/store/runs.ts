import type { Db, Filter } from 'mongodb';
import type { Language } from '../../sandbox/types';
import type { RunDoc, RunKind, RunState } from '../runs';
import { JobCollection } from './job-collection';

/** Every filter narrows the list (they combine with AND); paging works the same with any of them. */
export interface ListQuery {
  /** Only this owner's runs; undefined lists everyone's (admins). */
  owner?: string;
  status?: RunState;
  kind?: RunKind;
  language?: Language;
  /** A code run's result verdict (`ok`, `runtime_error`, …). */
  verdict?: string;
  /** createdAt ≥ this (inclusive). */
  createdAfter?: Date;
  /** createdAt < this (exclusive): consecutive ranges neither overlap nor leave a gap. */
  createdBefore?: Date;
  /**
   * `request.metadata.<key>` equals the value, for each entry. Query strings carry no
   * types, so "3" also matches the number 3 and "true"/"false" the booleans; an array
   * value matches when one of its elements does. Keys may be dotted paths into nested objects.
   */
  metadata?: Record<string, string>;
  /** Case-insensitive substring of the prompt or of a top-level string metadata value. */
  text?: string;
  /** Auto-runs of this saved agent. */
  agentId?: string;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

/** Runs: the lifecycle writes come from JobCollection; listing and intake live here. */
export class RunStore extends JobCollection<RunDoc> {
  constructor(db: Db) {
    super(db, 'runs');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndexes([
      { key: { owner: 1, createdAt: -1, _id: -1 }, name: 'owner_created' },
      { key: { status: 1, createdAt: 1 }, name: 'status_created' },
      { key: { owner: 1, status: 1 }, name: 'owner_status' },
      // Search in history (GET /v1/runs): each filter narrows within an owner's newest-first order.
      { key: { createdAt: -1, _id: -1 }, name: 'created' },
      { key: { owner: 1, 'request.language': 1, createdAt: -1, _id: -1 }, name: 'owner_language_created' },
      { key: { owner: 1, 'result.verdict': 1, createdAt: -1, _id: -1 }, name: 'owner_verdict_created' },
      { key: { 'request.metadata.$**': 1 }, name: 'metadata_wildcard' },
      { key: { agentId: 1, createdAt: -1, _id: -1 }, name: 'agent_created', partialFilterExpression: { agentId: { $exists: true } } },
      { key: { 'session.id': 1, createdAt: -1, _id: -1 }, name: 'session_created', partialFilterExpression: { session: { $exists: true } } },
    ]);
  }

  /** Throws a duplicate-key error when the id (derived from an Idempotency-Key) exists. */
  async insert(doc: RunDoc): Promise<void> {
    await this.col.insertOne(doc);
  }

  async list(q: ListQuery): Promise<{ items: RunDoc[]; nextCursor: string | null }> {
    const filter = listFilter(q);
    const docs = await this.col.find(filter).sort({ createdAt: -1, _id: -1 }).limit(q.limit + 1).toArray();
    const items = docs.slice(0, q.limit);
    const last = items[items.length - 1];
    const nextCursor = docs.length > q.limit && last ? encodeCursor(last) : null;
    return { items, nextCursor };
  }

  /** Queued + running runs of one owner (the active-runs quota); backed by the owner_status index. */
  countActive(owner: string): Promise<number> {
    return this.col.countDocuments({ owner, status: { $in: ['queued', 'running'] } });
  }

  /** Inserts a batch; with `ordered: false` the rest go in when one is a duplicate. */
  /** A session's runs that have not ended yet (when the session ends, so do they). */
  unfinishedInSession(sessionId: string): Promise<RunDoc[]> {
    return this.col.find({ 'session.id': sessionId, status: { $in: ['queued', 'running'] } } as Filter<RunDoc>).toArray() as Promise<RunDoc[]>;
  }

  countInSession(sessionId: string): Promise<number> {
    return this.col.countDocuments({ 'session.id': sessionId } as Filter<RunDoc>);
  }

  /** A session's runs, newest first. */
  inSession(sessionId: string, limit: number): Promise<RunDoc[]> {
    return this.col.find({ 'session.id': sessionId } as Filter<RunDoc>).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray() as Promise<RunDoc[]>;
  }

  async insertMany(docs: RunDoc[]): Promise<void> {
    await this.col.insertMany(docs, { ordered: false });
  }
}

function listFilter(q: ListQuery): Filter<RunDoc> {
  const filter: Record<string, unknown> = {};
  // Clauses that are themselves $or (the cursor, free text) go under one $and.
  const all: Filter<RunDoc>[] = [];
  if (q.owner !== undefined) filter.owner = q.owner;
  if (q.status) filter.status = q.status;
  if (q.kind) filter.kind = q.kind;
  if (q.language) filter['request.language'] = q.language;
  if (q.verdict) filter['result.verdict'] = q.verdict;
  if (q.agentId) filter.agentId = q.agentId;
  if (q.createdAfter || q.createdBefore) {
    filter.createdAt = { ...(q.createdAfter ? { $gte: q.createdAfter } : {}), ...(q.createdBefore ? { $lt: q.createdBefore } : {}) };
  }
  for (const [key, value] of Object.entries(q.metadata ?? {})) filter[`request.metadata.${key}`] = { $in: metadataValues(value) };
  if (q.text) all.push(textFilter(q.text));
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (after) {
    all.push({ $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.id } }] });
  }
  if (all.length > 0) filter.$and = all;
  return filter as Filter<RunDoc>;
}

/** A query-string value, and what it also stands for when the stored value is a number or a boolean. */
function metadataValues(value: string): unknown[] {
  const out: unknown[] = [value];
  if (value.trim() !== '' && Number.isFinite(Number(value))) out.push(Number(value));
  if (value === 'true' || value === 'false') out.push(value === 'true');
  return out;
}

/**
 * The prompt, or any top-level string value of the metadata, contains `text`
 * (case-insensitive). Metadata keys are the user's own, so the values are reached
 * with $objectToArray rather than by name. Plain $regex / $regexMatch with an
 * escaped pattern: supported alike by MongoDB and the stand-in (mingo), unlike $text.
 */
function textFilter(text: string): Filter<RunDoc> {
  const regex = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const inMetadata = {
    $anyElementTrue: [
      {
        $map: {
          input: { $objectToArray: { $ifNull: ['$request.metadata', {}] } },
          as: 'kv',
          // $cond, not $and: $regexMatch refuses a non-string input, and only $cond is sure not to evaluate it.
          in: { $cond: [{ $eq: [{ $type: '$$kv.v' }, 'string'] }, { $regexMatch: { input: '$$kv.v', regex, options: 'i' } }, false] },
        },
      },
    ],
  };
  return { $or: [{ 'request.prompt': { $regex: regex, $options: 'i' } }, { $expr: inMetadata }] } as Filter<RunDoc>;
}

function encodeCursor(doc: RunDoc): string {
  return Buffer.from(JSON.stringify([doc.createdAt.getTime(), doc._id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } | undefined {
  try {
    const [t, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [unknown, unknown];
    if (typeof t === 'number' && typeof id === 'string') return { createdAt: new Date(t), id };
  } catch {
    // fall through: an unreadable cursor is a validation error for the caller
  }
  return undefined;
}

export function isValidCursor(cursor: string): boolean {
  return decodeCursor(cursor) !== undefined;
}
