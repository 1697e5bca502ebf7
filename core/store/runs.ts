import type { Collection, Db, Filter } from 'mongodb';
import { TERMINAL_STATES, type RunDoc, type RunKind, type RunResult, type RunState } from '../runs';

export interface ListQuery {
  /** Only this owner's runs; undefined lists everyone's (admins). */
  owner?: string;
  status?: RunState;
  kind?: RunKind;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

const NON_TERMINAL = { $nin: [...TERMINAL_STATES] };

export class RunStore {
  readonly col: Collection<RunDoc>;

  constructor(db: Db) {
    this.col = db.collection<RunDoc>('runs');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndexes([
      { key: { owner: 1, createdAt: -1, _id: -1 }, name: 'owner_created' },
      { key: { status: 1, createdAt: 1 }, name: 'status_created' },
    ]);
  }

  /** Throws a duplicate-key error when the id (derived from an Idempotency-Key) exists. */
  async insert(doc: RunDoc): Promise<void> {
    await this.col.insertOne(doc);
  }

  get(id: string): Promise<RunDoc | null> {
    return this.col.findOne({ _id: id });
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

  /**
   * Claims the run for an attempt: queued/running → running, attempts + 1.
   * Returns null when the run is gone or already terminal (nothing to do).
   */
  claim(id: string): Promise<RunDoc | null> {
    const now = new Date();
    return this.col.findOneAndUpdate(
      { _id: id, status: NON_TERMINAL },
      { $set: { status: 'running', updatedAt: now }, $min: { startedAt: now }, $inc: { attempts: 1 } },
      { returnDocument: 'after' },
    );
  }

  /** Marks the cancel request; returns the run as it is now. */
  requestCancel(id: string): Promise<RunDoc | null> {
    return this.col.findOneAndUpdate(
      { _id: id },
      { $set: { cancelRequested: true, updatedAt: new Date() } },
      { returnDocument: 'after' },
    );
  }

  /** Writes the terminal state once; a second call for the same run changes nothing. */
  async finish(id: string, status: RunState, outcome: { result?: RunResult; error?: RunDoc['error'] }): Promise<boolean> {
    const now = new Date();
    const set: Partial<RunDoc> = { status, finishedAt: now, updatedAt: now };
    if (outcome.result) set.result = outcome.result;
    if (outcome.error) set.error = outcome.error;
    const res = await this.col.updateOne({ _id: id, status: NON_TERMINAL }, { $set: set });
    return res.modifiedCount === 1;
  }

  /** Runs still queued since before `olderThan`: candidates for re-enqueueing. */
  staleQueued(olderThan: Date, limit = 100): Promise<RunDoc[]> {
    return this.col.find({ status: 'queued', createdAt: { $lt: olderThan } }).limit(limit).toArray();
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
