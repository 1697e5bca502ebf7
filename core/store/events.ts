import type { Collection, Db } from 'mongodb';
import type { JobEvent } from '../event-model';
import { isDuplicateKey } from './duplicate-key';

interface EventDoc extends JobEvent {
  runId: string;
}

/** Durable run events, unique by (runId, seq); inserting one twice is a no-op. */
export class EventStore {
  private readonly col: Collection<EventDoc>;

  constructor(db: Db) {
    this.col = db.collection<EventDoc>('run_events');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ runId: 1, seq: 1 }, { unique: true, name: 'run_seq' });
  }

  async insert(runId: string, events: JobEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.col.insertMany(events.map((e) => ({ ...e, runId })), { ordered: false });
    } catch (err) {
      // Replays after a crash write some events again: those duplicates are expected.
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /** Removes a job's events (an experiment purged with its conversations). */
  async deleteAll(runId: string): Promise<number> {
    return (await this.col.deleteMany({ runId })).deletedCount;
  }

  async list(runId: string, after: number, limit: number): Promise<JobEvent[]> {
    const docs = await this.col
      .find({ runId, seq: { $gt: after } }, { projection: { _id: 0, runId: 0 } })
      .sort({ seq: 1 })
      .limit(limit)
      .toArray();
    return docs as JobEvent[];
  }

  async maxSeq(runId: string): Promise<number> {
    const doc = await this.col.find({ runId }).sort({ seq: -1 }).limit(1).next();
    return doc?.seq ?? 0;
  }
}
