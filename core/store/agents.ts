import type { Collection, Db, Filter } from 'mongodb';
import type { AgentDoc } from '../agents';
import { afterCursor, toPage, type Page } from './cursor';

/**
 * Saved agents (core/agents.ts), unique by (owner, name): inserting or renaming
 * to a name the owner already uses throws a duplicate-key error.
 */
export class AgentStore {
  private readonly col: Collection<AgentDoc>;

  constructor(db: Db) {
    this.col = db.collection<AgentDoc>('agents');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndexes([
      { key: { owner: 1, name: 1 }, name: 'owner_name', unique: true },
      { key: { owner: 1, createdAt: -1, _id: -1 }, name: 'owner_created' },
      { key: { createdAt: -1, _id: -1 }, name: 'created' },
    ]);
  }

  async insert(doc: AgentDoc): Promise<void> {
    await this.col.insertOne(doc);
  }

  get(id: string): Promise<AgentDoc | null> {
    return this.col.findOne({ _id: id });
  }

  /** Newest first; `owner` undefined lists everyone's (admins). */
  async list(q: { owner?: string; limit: number; cursor?: string }): Promise<Page<AgentDoc>> {
    const filter: Filter<AgentDoc> = { ...afterCursor<AgentDoc>(q.cursor) };
    if (q.owner !== undefined) filter.owner = q.owner;
    const docs = await this.col.find(filter).sort({ createdAt: -1, _id: -1 }).limit(q.limit + 1).toArray();
    return toPage(docs, q.limit);
  }

  /** Sets the given fields and removes the `unset` ones; null when the agent is gone. */
  update(id: string, set: Partial<AgentDoc>, unset: string[]): Promise<AgentDoc | null> {
    return this.col.findOneAndUpdate(
      { _id: id },
      { $set: { ...set, updatedAt: new Date() }, ...(unset.length > 0 ? { $unset: Object.fromEntries(unset.map((f) => [f, ''])) } : {}) },
      { returnDocument: 'after' },
    );
  }

  /** False when it was already gone. Its runs are not touched. */
  async delete(id: string): Promise<boolean> {
    return (await this.col.deleteOne({ _id: id })).deletedCount === 1;
  }
}
