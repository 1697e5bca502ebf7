import type { Collection, Db, Filter, UpdateFilter } from 'mongodb';
import type { JobDoc, JobFailure, JobState } from '../jobs/model';

const ACTIVE: JobState[] = ['queued', 'running'];

/**
 * The lifecycle writes every kind of job shares: claim, cancel request, the
 * once-only terminal write, and the sweeps that find jobs the queue lost.
 * Each kind's store extends it with its own reads and writes.
 */
export class JobCollection<D extends JobDoc> {
  protected readonly col: Collection<D>;

  constructor(db: Db, name: string) {
    this.col = db.collection<D>(name);
  }

  get(id: string): Promise<D | null> {
    return this.col.findOne(byId<D>(id)) as Promise<D | null>;
  }

  /**
   * Claims the job for an attempt: queued/running → running, attempts + 1.
   * Null when it is gone or already terminal (nothing to do).
   */
  claim(id: string): Promise<D | null> {
    const now = new Date();
    return this.col.findOneAndUpdate(
      { ...byId<D>(id), status: { $in: ACTIVE } } as Filter<D>,
      { $set: { status: 'running', updatedAt: now }, $min: { startedAt: now }, $inc: { attempts: 1 } } as unknown as UpdateFilter<D>,
      { returnDocument: 'after' },
    ) as Promise<D | null>;
  }

  /** Marks the cancel request; returns the document as it is now. */
  requestCancel(id: string): Promise<D | null> {
    return this.col.findOneAndUpdate(
      byId<D>(id),
      { $set: { cancelRequested: true, updatedAt: new Date() } } as unknown as UpdateFilter<D>,
      { returnDocument: 'after' },
    ) as Promise<D | null>;
  }

  /** Writes the terminal state once; a second call for the same job changes nothing. */
  async finish(id: string, status: JobState, outcome: { result?: unknown; error?: JobFailure }): Promise<boolean> {
    const now = new Date();
    const set: Record<string, unknown> = { status, finishedAt: now, updatedAt: now };
    if (outcome.result !== undefined) set.result = outcome.result;
    if (outcome.error) set.error = outcome.error;
    const res = await this.col.updateOne(
      { ...byId<D>(id), status: { $in: ACTIVE } } as Filter<D>,
      { $set: set, ...this.onFinish() } as UpdateFilter<D>,
    );
    return res.modifiedCount === 1;
  }

  /** Extra operators of the terminal write (pulls free their active slot). */
  protected onFinish(): UpdateFilter<D> {
    return {};
  }

  /** Jobs still queued or running, untouched since before `olderThan`: the reconciler checks them against the queue. */
  unfinished(olderThan: Date, limit = 200): Promise<D[]> {
    return this.col
      .find({ status: { $in: ACTIVE }, updatedAt: { $lt: olderThan } } as Filter<D>)
      .limit(limit)
      .toArray() as Promise<D[]>;
  }

  /** Removes documents that were never accepted (their enqueue failed). */
  async discard(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.col.deleteMany({ _id: { $in: ids } } as Filter<D>);
  }
}

function byId<D>(id: string): Filter<D> {
  return { _id: id } as Filter<D>;
}
