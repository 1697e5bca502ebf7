import type { Db, Filter } from 'mongodb';
import type { ExperimentDoc, ExperimentState, IterationSummary, Totals } from '../experiments';
import { afterCursor, toPage, type Page } from './cursor';
import { JobCollection } from './job-collection';

/** Experiments: one document each, with its per-iteration summaries and totals. */
export class ExperimentStore extends JobCollection<ExperimentDoc> {
  constructor(db: Db) {
    super(db, 'experiments');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndexes([{ key: { owner: 1, createdAt: -1, _id: -1 }, name: 'owner_created' }]);
  }

  async insert(doc: ExperimentDoc): Promise<void> {
    await this.col.insertOne(doc);
  }

  async list(q: { owner?: string; status?: ExperimentState; limit: number; cursor?: string }): Promise<Page<ExperimentDoc>> {
    const filter: Filter<ExperimentDoc> = { ...afterCursor<ExperimentDoc>(q.cursor) };
    if (q.owner !== undefined) filter.owner = q.owner;
    if (q.status) filter.status = q.status;
    const docs = await this.col.find(filter).sort({ createdAt: -1, _id: -1 }).limit(q.limit + 1).toArray();
    return toPage(docs, q.limit);
  }

  updateMeta(id: string, patch: { name?: string; description?: string; metadata?: Record<string, unknown> }): Promise<ExperimentDoc | null> {
    return this.col.findOneAndUpdate({ _id: id }, { $set: { ...patch, updatedAt: new Date() } }, { returnDocument: 'after' });
  }

  /** Only the job holding the experiment writes these, so the whole array is replaced. */
  async setProgress(id: string, iterations: IterationSummary[], totals: Totals): Promise<void> {
    await this.col.updateOne({ _id: id }, { $set: { iterations, totals, updatedAt: new Date() } });
  }

  async delete(id: string): Promise<void> {
    await this.col.deleteOne({ _id: id });
  }
}
