import type { Collection, Db } from 'mongodb';

export interface DeliveryDoc {
  /** The job whose terminal state was sent. */
  jobId: string;
  attempt: number;
  at: Date;
  url: string;
  outcome: 'delivered' | 'failed' | 'blocked';
  statusCode?: number;
  error?: string;
  durationMs: number;
}

/** Every webhook delivery attempt, per job: the delivery log of GET …/:id/webhooks. */
export class WebhookDeliveryStore {
  private readonly col: Collection<DeliveryDoc>;

  constructor(db: Db) {
    this.col = db.collection<DeliveryDoc>('webhook_deliveries');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ jobId: 1, attempt: 1 }, { name: 'job_attempt' });
  }

  async record(doc: DeliveryDoc): Promise<void> {
    await this.col.insertOne({ ...doc });
  }

  list(jobId: string): Promise<DeliveryDoc[]> {
    return this.col.find({ jobId }, { projection: { _id: 0 } }).sort({ attempt: 1 }).toArray();
  }
}
