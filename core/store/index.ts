import { MongoClient, type Db } from 'mongodb';
import { RunStore } from './runs';
import { EventStore } from './events';
import { ArtifactStore } from './artifacts';
import { ExperimentStore } from './experiments';
import { MessageStore } from './experiment-messages';
import { PullStore } from './pulls';
import { AgentStore } from './agents';
import { WebhookDeliveryStore } from './webhook-deliveries';
import { IntegrationTestStore } from './integration-tests';
import { RunFileStore } from './run-files';
import { SessionStore } from './sessions';

/** The MongoDB store: the durable truth for runs and their events. */
export interface Store {
  db: Db;
  runs: RunStore;
  events: EventStore;
  artifacts: ArtifactStore;
  experiments: ExperimentStore;
  /** Experiment conversation messages. */
  messages: MessageStore;
  pulls: PullStore;
  /** Saved agents (core/agents.ts). */
  agents: AgentStore;
  /** Webhook delivery attempts, per job. */
  deliveries: WebhookDeliveryStore;
  /** LLM integration test history. */
  integrationTests: IntegrationTestStore;
  /** Files runs made (`outputs`), in GridFS. */
  runFiles: RunFileStore;
  /** Sandbox sessions (core/sessions.ts). */
  sessions: SessionStore;
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
    const experiments = new ExperimentStore(db);
    const messages = new MessageStore(db);
    const pulls = new PullStore(db);
    const agents = new AgentStore(db);
    const deliveries = new WebhookDeliveryStore(db);
    const integrationTests = new IntegrationTestStore(db);
    const runFiles = new RunFileStore(db);
    const sessions = new SessionStore(db);
    await Promise.all([runs.ensureIndexes(), events.ensureIndexes(), artifacts.ensureIndexes()]);
    await Promise.all([experiments.ensureIndexes(), messages.ensureIndexes(), pulls.ensureIndexes(), agents.ensureIndexes(), deliveries.ensureIndexes(), integrationTests.ensureIndexes(), runFiles.ensureIndexes(), sessions.ensureIndexes()]);
    let closing: Promise<void> | undefined;
    return {
      db,
      runs,
      events,
      artifacts,
      experiments,
      messages,
      pulls,
      agents,
      deliveries,
      integrationTests,
      runFiles,
      sessions,
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
