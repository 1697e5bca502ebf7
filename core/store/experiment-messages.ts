import type { Collection, Db } from 'mongodb';
import type { MessageDoc } from '../experiments';
import { isDuplicateKey } from './duplicate-key';

/**
 * Conversation messages, unique by (experimentId, iteration, seq): a retried job
 * that produces a message again cannot store it twice.
 */
export class MessageStore {
  private readonly col: Collection<MessageDoc>;

  constructor(db: Db) {
    this.col = db.collection<MessageDoc>('experiment_messages');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ experimentId: 1, iteration: 1, seq: 1 }, { unique: true, name: 'experiment_iteration_seq' });
  }

  /** Inserts the message; false when that (experiment, iteration, seq) is already stored (a duplicate job). */
  async insert(doc: MessageDoc): Promise<boolean> {
    try {
      await this.col.insertOne(doc);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** One iteration's conversation, in order. */
  list(experimentId: string, iteration: number): Promise<MessageDoc[]> {
    return this.col.find({ experimentId, iteration }).sort({ seq: 1 }).toArray();
  }

  /** Every message of the experiment, by iteration then seq. */
  listAll(experimentId: string): Promise<MessageDoc[]> {
    return this.col.find({ experimentId }).sort({ iteration: 1, seq: 1 }).toArray();
  }

  count(experimentId: string, iteration: number): Promise<number> {
    return this.col.countDocuments({ experimentId, iteration });
  }

  async markAnnounced(id: string): Promise<void> {
    await this.col.updateOne({ _id: id }, { $set: { announced: true } });
  }

  async deleteAll(experimentId: string): Promise<number> {
    return (await this.col.deleteMany({ experimentId })).deletedCount;
  }
}
