import type { Collection, Db, Filter } from 'mongodb';
import type { ExperimentDoc, ExperimentState, IterationSummary, Totals } from '../experiments';
import type { RunResult, RunState } from '../runs';
import { afterCursor, toPage, type Page } from './cursor';

const NON_TERMINAL = { $in: ['queued', 'running'] as ExperimentState[] };

/** Experiments: one document each, with its per-iteration summaries and totals. */
export class ExperimentStore {
  readonly col: Collection<ExperimentDoc>;

  constructor(db: Db) {
    this.col = db.collection<ExperimentDoc>('experiments');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndexes([{ key: { owner: 1, createdAt: -1, _id: -1 }, name: 'owner_created' }]);
  }

  async insert(doc: ExperimentDoc): Promise<void> {
    await this.col.insertOne(doc);
  }

  get(id: string): Promise<ExperimentDoc | null> {
    return this.col.findOne({ _id: id });
  }

  async list(q: { owner?: string; status?: ExperimentState; limit: number; cursor?: string }): Promise<Page<ExperimentDoc>> {
    const filter: Filter<ExperimentDoc> = { ...afterCursor<ExperimentDoc>(q.cursor) };
    if (q.owner !== undefined) filter.owner = q.owner;
    if (q.status) filter.status = q.status;
    const docs = await this.col.find(filter).sort({ createdAt: -1, _id: -1 }).limit(q.limit + 1).toArray();
    return toPage(docs, q.limit);
  }

  /** Claims the experiment for an attempt (queued/running → running, attempts + 1); null when gone or ended. */
  claim(id: string): Promise<ExperimentDoc | null> {
    const now = new Date();
    return this.col.findOneAndUpdate(
      { _id: id, status: NON_TERMINAL },
      { $set: { status: 'running', updatedAt: now }, $min: { startedAt: now }, $inc: { attempts: 1 } },
      { returnDocument: 'after' },
    );
  }

  requestCancel(id: string): Promise<ExperimentDoc | null> {
    return this.col.findOneAndUpdate({ _id: id }, { $set: { cancelRequested: true, updatedAt: new Date() } }, { returnDocument: 'after' });
  }

  updateMeta(id: string, patch: { name?: string; description?: string; metadata?: Record<string, unknown> }): Promise<ExperimentDoc | null> {
    return this.col.findOneAndUpdate({ _id: id }, { $set: { ...patch, updatedAt: new Date() } }, { returnDocument: 'after' });
  }

  /** Only the job holding the experiment writes these, so the whole array is replaced. */
  async setProgress(id: string, iterations: IterationSummary[], totals: Totals): Promise<void> {
    await this.col.updateOne({ _id: id }, { $set: { iterations, totals, updatedAt: new Date() } });
  }

  /** Writes the terminal state once (the Finishable contract of core/finalize). */
  async finish(id: string, status: RunState, outcome: { result?: RunResult; error?: { code: string; message: string } }): Promise<boolean> {
    const now = new Date();
    const set: Partial<ExperimentDoc> = { status: status as ExperimentState, finishedAt: now, updatedAt: now };
    if (outcome.error) set.error = outcome.error;
    const res = await this.col.updateOne({ _id: id, status: NON_TERMINAL }, { $set: set });
    return res.modifiedCount === 1;
  }

  /** Experiments still queued since before `olderThan` (their API node may have died before enqueueing). */
  staleQueued(olderThan: Date, limit = 100): Promise<ExperimentDoc[]> {
    return this.col.find({ status: 'queued', createdAt: { $lt: olderThan } }).limit(limit).toArray();
  }

  async delete(id: string): Promise<void> {
    await this.col.deleteOne({ _id: id });
  }
}
