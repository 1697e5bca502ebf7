import type { Collection, Db, Filter } from 'mongodb';
import type { PullDoc, PullProgress, PullState } from '../models/pull';
import type { RunResult, RunState } from '../runs';
import { afterCursor, toPage, type Page } from './cursor';

const NON_TERMINAL = { $in: ['queued', 'running'] as PullState[] };

/**
 * Model pulls. At most one pull per (server, model) is active: a partial unique
 * index over documents with `active: true`, which `finish` removes in the same
 * write that ends the pull — so a finished model can be pulled again.
 */
export class PullStore {
  readonly col: Collection<PullDoc>;

  constructor(db: Db) {
    this.col = db.collection<PullDoc>('model_pulls');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndexes([
      { key: { 'server.url': 1, model: 1 }, name: 'one_active_pull', unique: true, partialFilterExpression: { active: true } },
      { key: { owners: 1, createdAt: -1, _id: -1 }, name: 'owners_created' },
    ]);
  }

  /** Throws a duplicate-key error when this (server, model) already has an active pull. */
  async insert(doc: PullDoc): Promise<void> {
    await this.col.insertOne(doc);
  }

  get(id: string): Promise<PullDoc | null> {
    return this.col.findOne({ _id: id });
  }

  findActive(serverUrl: string, model: string): Promise<PullDoc | null> {
    return this.col.findOne({ 'server.url': serverUrl, model, active: true });
  }

  /** Adds a requester to an active pull; null when it ended meanwhile. */
  join(id: string, owner: string): Promise<PullDoc | null> {
    return this.col.findOneAndUpdate({ _id: id, active: true }, { $addToSet: { owners: owner } }, { returnDocument: 'after' });
  }

  async list(q: { owner?: string; status?: PullState; limit: number; cursor?: string }): Promise<Page<PullDoc>> {
    const filter: Filter<PullDoc> = { ...afterCursor<PullDoc>(q.cursor) };
    if (q.owner !== undefined) filter.owners = q.owner;
    if (q.status) filter.status = q.status;
    const docs = await this.col.find(filter).sort({ createdAt: -1, _id: -1 }).limit(q.limit + 1).toArray();
    return toPage(docs, q.limit);
  }

  claim(id: string): Promise<PullDoc | null> {
    const now = new Date();
    return this.col.findOneAndUpdate(
      { _id: id, status: NON_TERMINAL },
      { $set: { status: 'running', updatedAt: now }, $min: { startedAt: now }, $inc: { attempts: 1 } },
      { returnDocument: 'after' },
    );
  }

  requestCancel(id: string): Promise<PullDoc | null> {
    return this.col.findOneAndUpdate({ _id: id }, { $set: { cancelRequested: true, updatedAt: new Date() } }, { returnDocument: 'after' });
  }

  async setProgress(id: string, progress: PullProgress, retries?: number): Promise<void> {
    const set: Partial<PullDoc> = { progress, updatedAt: new Date() };
    if (retries !== undefined) set.retries = retries;
    await this.col.updateOne({ _id: id, status: NON_TERMINAL }, { $set: set });
  }

  /** Ends the pull once and frees its (server, model) slot (the Finishable contract of core/finalize). */
  async finish(id: string, status: RunState, outcome: { result?: RunResult; error?: { code: string; message: string } }): Promise<boolean> {
    const now = new Date();
    const set: Partial<PullDoc> = { status: status as PullState, finishedAt: now, updatedAt: now };
    if (outcome.error) set.error = outcome.error;
    const res = await this.col.updateOne({ _id: id, status: NON_TERMINAL }, { $set: set, $unset: { active: '' } });
    return res.modifiedCount === 1;
  }

  /** Pulls still queued since before `olderThan` (their API node may have died before enqueueing). */
  staleQueued(olderThan: Date, limit = 100): Promise<PullDoc[]> {
    return this.col.find({ status: 'queued', createdAt: { $lt: olderThan } }).limit(limit).toArray();
  }
}
