import type { Collection, Db } from 'mongodb';

/** One POST /v1/integrations/test (or one provider of test-all): what was asked, how it went. */
export interface IntegrationTestDoc {
  /** The provider's name in LLM_PROVIDERS. */
  integration: string;
  /** `provider/model` that answered; on failure the model asked for, or '' when none was chosen. */
  model: string;
  success: boolean;
  latencyMs: number;
  error?: string;
  at: Date;
  /** The caller's token subject. */
  by: string;
}

/** Integration test history, per provider, newest first (GET /v1/integrations/:id/tests). */
export class IntegrationTestStore {
  private readonly col: Collection<IntegrationTestDoc>;

  constructor(db: Db) {
    this.col = db.collection<IntegrationTestDoc>('integration_tests');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ integration: 1, at: -1 }, { name: 'integration_at' });
  }

  async record(doc: IntegrationTestDoc): Promise<void> {
    await this.col.insertOne({ ...doc });
  }

  async recordMany(docs: IntegrationTestDoc[]): Promise<void> {
    if (docs.length > 0) await this.col.insertMany(docs.map((d) => ({ ...d })));
  }

  /** The newest `limit` tests of one integration, at or after `since` when given (same-millisecond ties: insertion order, newest first). */
  list(integration: string, opts: { since?: Date; limit: number }): Promise<IntegrationTestDoc[]> {
    const filter = opts.since ? { integration, at: { $gte: opts.since } } : { integration };
    return this.col.find(filter, { projection: { _id: 0 } }).sort({ at: -1, _id: -1 }).limit(opts.limit).toArray();
  }
}
