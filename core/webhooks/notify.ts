import type { EndHook } from '../jobs/finalize';
import type { JobKind } from '../jobs/kinds';
import type { JobDoc } from '../jobs/model';
import type { Queues } from '../queues';

/**
 * The finalize hook of a job with a `callbackUrl`: queues its webhook delivery
 * (job id = document id, so a repeated finish queues it once). Runs before the
 * document turns terminal, so a crash in between is repaired by finishing
 * again; undefined when the job has no callback (nothing is queued).
 */
export function webhookOnEnd(queues: Queues, kind: JobKind, doc: JobDoc | null): EndHook | undefined {
  if (!doc?.callbackUrl) return undefined;
  return async () => {
    await queues.webhooks.add('deliver', { job: kind.name, id: doc._id }, { jobId: doc._id });
  };
}
