import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../core/config';
import { JOB_KINDS } from '../core/jobs/kinds';
import { isTerminal, type JobDoc } from '../core/jobs/model';
import type { Logger } from '../core/logger';
import { WEBHOOK_QUEUE, type WebhookJobData } from '../core/queues';
import type { Store } from '../core/store';
import { deliver } from '../core/webhooks/deliver';

/**
 * Delivers the terminal state of jobs that asked for a callback: one POST per
 * attempt, logged in `webhook_deliveries`; a failure is retried by BullMQ with
 * exponential backoff (WEBHOOK_ATTEMPTS), a blocked target is not retried.
 * The message id is the job id, so a receiver can drop duplicates.
 */
export function startWebhookDelivery(deps: { config: Config; log: Logger; store: Store; connection: Redis }): Worker<WebhookJobData> {
  const { config, store, log } = deps;
  const worker = new Worker<WebhookJobData>(
    WEBHOOK_QUEUE,
    async (job: Job<WebhookJobData>) => {
      const kind = JOB_KINDS[job.data.job];
      const doc = await kind.docs(store).get(job.data.id);
      if (!doc?.callbackUrl) return { skipped: 'no callback' };
      // Queued just before the document turned terminal: try again shortly.
      if (!isTerminal(doc.status)) throw new Error(`${kind.noun} ${doc._id} has not ended yet`);
      const result = await deliver(doc.callbackUrl, doc._id, JSON.stringify(message(job.data.job, doc)), {
        secret: config.webhooks.secret,
        allow: config.webhooks.allow,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      });
      await store.deliveries.record({ jobId: doc._id, attempt: job.attemptsMade + 1, at: new Date(), url: doc.callbackUrl, ...result });
      if (result.outcome === 'blocked') throw new UnrecoverableError(result.error ?? 'blocked');
      if (result.outcome === 'failed') throw new Error(result.error ?? 'delivery failed');
      return { statusCode: result.statusCode };
    },
    { connection: deps.connection, prefix: config.QUEUE_PREFIX, concurrency: 8, autorun: false },
  );
  worker.on('error', (err) => log.error({ err }, 'webhook worker error'));
  worker.on('failed', (job, err) => log.warn({ err: err.message, id: job?.data.id, attempt: job?.attemptsMade }, 'webhook delivery failed'));
  return worker;
}

/** The body: `{type: "<job>.<status>", timestamp, data: {id, status, result?, error?, …}}`, as Standard Webhooks suggests. */
function message(job: string, doc: JobDoc & { kind?: string; result?: unknown; owner?: string; owners?: string[] }) {
  return {
    type: `${job}.${doc.status}`,
    timestamp: (doc.finishedAt ?? new Date()).toISOString(),
    data: {
      id: doc._id,
      ...(doc.kind ? { kind: doc.kind } : {}),
      status: doc.status,
      attempts: doc.attempts,
      createdAt: doc.createdAt,
      finishedAt: doc.finishedAt,
      ...(doc.result !== undefined ? { result: doc.result } : {}),
      ...(doc.error ? { error: doc.error } : {}),
    },
  };
}
