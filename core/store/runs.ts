import type { Db, Filter } from 'mongodb';
import type { RunDoc, RunKind, RunState } from '../runs';
import { JobCollection } from './job-collection';

export interface ListQuery {
  /** Only this owner's runs; undefined lists everyone's (admins). */
  owner?: string;
  status?: RunState;
  kind?: RunKind;
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
    ]);
  }

  /** Throws a duplicate-key error when the id (derived from an Idempotency-Key) exists. */
  async insert(doc: RunDoc): Promise<void> {
    await this.col.insertOne(doc);
  }

  async list(q: ListQuery): Promise<{ items: RunDoc[]; nextCursor: string | null }> {
    const filter: Filter<RunDoc> = {};
    if (q.owner !== undefined) filter.owner = q.owner;
    if (q.status) filter.status = q.status;
    if (q.kind) filter.kind = q.kind;
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (after) {
      filter.$or = [
        { createdAt: { $lt: after.createdAt } },
        { createdAt: after.createdAt, _id: { $lt: after.id } },
      ];
    }
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
  async insertMany(docs: RunDoc[]): Promise<void> {
    await this.col.insertMany(docs, { ordered: false });
  }
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
