import type { Db, Filter } from 'mongodb';
import type { SessionDoc } from '../sessions';
import { JobCollection } from './job-collection';

const ACTIVE = { $in: ['queued', 'running'] };

/** Sessions: the lifecycle writes come from JobCollection; holding and listing live here. */
export class SessionStore extends JobCollection<SessionDoc> {
  constructor(db: Db) {
    super(db, 'sessions');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndexes([
      { key: { owner: 1, createdAt: -1, _id: -1 }, name: 'owner_created' },
      { key: { owner: 1, status: 1 }, name: 'owner_status' },
      { key: { status: 1, createdAt: 1 }, name: 'status_created' },
    ]);
  }

  async insert(doc: SessionDoc): Promise<void> {
    await this.col.insertOne(doc);
  }

  /** Sessions of this owner not yet ended, oldest first (the cap keeps the oldest). */
  async activeIds(owner: string): Promise<string[]> {
    const docs = await this.col.find({ owner, status: ACTIVE } as Filter<SessionDoc>, { projection: { _id: 1 } }).sort({ createdAt: 1, _id: 1 }).toArray();
    return docs.map((d) => d._id);
  }

  /** Records the worker and container holding a claimed session; false when it is no longer active. */
  async markHeld(id: string, holder: string, containerId: string, maxLifetimeMs: number): Promise<boolean> {
    const now = new Date();
    const res = await this.col.updateOne(
      { _id: id, status: 'running' } as Filter<SessionDoc>,
      { $set: { holder, containerId, openedAt: now, expiresAt: new Date(now.getTime() + maxLifetimeMs), updatedAt: now } },
    );
    return res.modifiedCount === 1;
  }

  async list(owner: string | undefined, limit: number): Promise<SessionDoc[]> {
    const filter = (owner === undefined ? {} : { owner }) as Filter<SessionDoc>;
    return this.col.find(filter).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray() as Promise<SessionDoc[]>;
  }
}
