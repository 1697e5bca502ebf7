import type { Db, Filter, UpdateFilter } from 'mongodb';
import type { PullDoc, PullProgress, PullState } from '../models/pull';
import { afterCursor, toPage, type Page } from './cursor';
import { JobCollection } from './job-collection';

const NON_TERMINAL = { $in: ['queued', 'running'] as PullState[] };

/**
 * Model pulls. At most one pull per (server, model) is active: a partial unique
 * index over documents with `active: true`, which `finish` removes in the same
 * write that ends the pull — so a finished model can be pulled again.
 */
export class PullStore extends JobCollection<PullDoc> {
  constructor(db: Db) {
    super(db, 'model_pulls');
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

  async setProgress(id: string, progress: PullProgress, retries?: number): Promise<void> {
    const set: Partial<PullDoc> = { progress, updatedAt: new Date() };
    if (retries !== undefined) set.retries = retries;
    await this.col.updateOne({ _id: id, status: NON_TERMINAL }, { $set: set });
  }

  /** Ending a pull frees its (server, model) slot, so the model can be pulled again. */
  protected override onFinish(): UpdateFilter<PullDoc> {
    return { $unset: { active: '' } };
  }
}
