import { MongoClient, type Db } from 'mongodb';
import { RunStore } from './runs';
import { EventStore } from './events';
import { ArtifactStore } from './artifacts';

/** The MongoDB store: the durable truth for runs and their events. */
export interface Store {
  db: Db;
  runs: RunStore;
  events: EventStore;
  artifacts: ArtifactStore;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openStore(url: string, dbName: string): Promise<Store> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000, maxPoolSize: 20, ignoreUndefined: true });
  await client.connect();
  try {
    const db = client.db(dbName);
    const runs = new RunStore(db);
    const events = new EventStore(db);
    const artifacts = new ArtifactStore(db);
    await Promise.all([runs.ensureIndexes(), events.ensureIndexes(), artifacts.ensureIndexes()]);
    let closing: Promise<void> | undefined;
    return {
      db,
      runs,
      events,
      artifacts,
      async ping() {
        await db.command({ ping: 1 });
      },
      close() {
        closing ??= client.close();
        return closing;
      },
    };
  } catch (err) {
    await client.close();
    throw err;
  }
}

export { isDuplicateKey } from './duplicate-key';
