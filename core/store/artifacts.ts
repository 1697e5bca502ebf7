import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './duplicate-key';

/**
 * Per-attempt artifacts of multi-step runs (autorun: what the model wrote, what
 * the sandbox made of it). The id is (run, attempt, kind), so a step replayed
 * after a crash finds its artifact instead of writing a second one.
 */
/** autorun: generation, execution. agent: turn (what the model wrote), action (one action's outcome, keyed by its id). */
export type ArtifactKind = 'generation' | 'execution' | 'turn' | 'action';

export interface ArtifactDoc<T = unknown> {
  _id: string;
  runId: string;
  attempt: number;
  kind: ArtifactKind;
  /** Distinguishes several artifacts of one kind in one attempt (agent actions: the action id). */
  key?: string;
  createdAt: Date;
  data: T;
}

export class ArtifactStore {
  private readonly col: Collection<ArtifactDoc>;

  constructor(db: Db) {
    this.col = db.collection<ArtifactDoc>('run_artifacts');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ runId: 1, attempt: 1, kind: 1 }, { name: 'run_attempt_kind' });
  }

  /** Stores the artifact once; returns the stored one (the first writer's, after a race). */
  async put<T>(runId: string, attempt: number, kind: ArtifactKind, data: T, key?: string): Promise<ArtifactDoc<T>> {
    const id = `${runId}:${attempt}:${kind}${key === undefined ? '' : `:${key}`}`;
    const doc: ArtifactDoc<T> = { _id: id, runId, attempt, kind, ...(key === undefined ? {} : { key }), createdAt: new Date(), data };
    try {
      await this.col.insertOne(doc as ArtifactDoc);
      return doc;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return (await this.col.findOne({ _id: doc._id })) as ArtifactDoc<T>;
    }
  }

  list(runId: string): Promise<ArtifactDoc[]> {
    return this.col.find({ runId }).sort({ attempt: 1, kind: 1 }).toArray();
  }
}
