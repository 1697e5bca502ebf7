import type { EventLog } from '../core/events';
import { finalizeJob } from '../core/jobs/finalize';
import type { JobKind } from '../core/jobs/kinds';
import type { JobDoc } from '../core/jobs/model';
import type { Logger } from '../core/logger';
import type { JobMetrics } from '../core/metrics';
import { enqueue, type Queues } from '../core/queues';
import { webhookOnEnd } from '../core/webhooks/notify';
import type { Store } from '../core/store';
import type { PinCheck } from '../core/jobs/session-runs';

export interface ReconcileDeps {
  store: Store;
  events: EventLog;
  queues: Queues;
  log: Logger;
  /** Attempts a job gets (JOB_ATTEMPTS); a job claimed far more often than this without ending is given up on. */
  attempts: number;
  /** Outcomes of the jobs this sweep ends. */
  metrics?: JobMetrics;
  /** Jobs pinned to one worker (session runs) are judged by it, not by a queue entry they never had. */
  pinned?: PinCheck;
}

export type Reconciled = 'requeued' | 'closed' | 'ok';

/**
 * Compares one unfinished document with its queue entry and repairs what the
 * queue alone cannot:
 * - an interrupted finish (finale recorded in Redis, document not terminal) is completed;
 * - a job BullMQ failed for good (stalled past its limit: its workers kept dying)
 *   ends the document in `error`, code `worker_lost`;
 * - a session run (it never had a queue entry) is judged by its session: it
 *   ends `session_ended` once the session ended or its holder is gone;
 * - a missing job (the API node died between insert and enqueue, or Redis lost
 *   it) is enqueued again — unless the document was claimed so often that
 *   another attempt is pointless.
 * Every step is idempotent, so any number of workers may do this at once.
 */
export async function reconcileJob(kind: JobKind, id: string, deps: ReconcileDeps): Promise<Reconciled> {
  const docs = kind.docs(deps.store);
  const doc = await docs.get(id);
  if (!doc || doc.status !== 'queued' && doc.status !== 'running') return 'ok';
  const finale = await deps.events.finale(id);
  if (finale) {
    await finalizeJob(deps.events, docs, id, finale, webhookOnEnd(deps.queues, kind, doc), deps.metrics?.ended(kind, doc));
    return 'closed';
  }
  const pin = await deps.pinned?.(kind, doc);
  if (pin === 'held') return 'ok';
  if (pin) {
    await finalizeJob(deps.events, docs, id, pin, webhookOnEnd(deps.queues, kind, doc), deps.metrics?.ended(kind, doc));
    return 'closed';
  }
  const job = await deps.queues.of(kind.name).getJob(id);
  if (job) {
    if ((await job.getState()) !== 'failed') return 'ok';
    const reason = job.failedReason ?? 'unknown';
    const stalled = /stalled/i.test(reason);
    await finalizeJob(deps.events, docs, id, {
      status: 'error',
      error: stalled
        ? { code: 'worker_lost', message: `the workers running this ${kind.noun} stopped ${doc.attempts} times (killed, crashed or unresponsive); gave up (${reason})` }
        : { code: 'attempts_exhausted', message: `every attempt failed; the last: ${reason}` },
    }, webhookOnEnd(deps.queues, kind, doc), deps.metrics?.ended(kind, doc));
    deps.log.warn({ id, reason }, `ended a ${kind.noun} that its queue gave up on`);
    return 'closed';
  }
  if (doc.attempts > deps.attempts * 2) {
    await finalizeJob(deps.events, docs, id, {
      status: 'error',
      error: { code: 'worker_lost', message: `claimed ${doc.attempts} times without ending, and its queue entry is gone` },
    }, webhookOnEnd(deps.queues, kind, doc), deps.metrics?.ended(kind, doc));
    return 'closed';
  }
  await enqueue(deps.queues, kind.name, [kind.jobData(doc)]);
  deps.log.warn({ id, status: doc.status }, `requeued a ${kind.noun} whose job was missing`);
  return 'requeued';
}

/** One sweep over every kind: documents unfinished and untouched for `minAgeMs`. */
export async function reconcileAll(kinds: JobKind[], minAgeMs: number, deps: ReconcileDeps): Promise<Record<Reconciled, number>> {
  const counts: Record<Reconciled, number> = { requeued: 0, closed: 0, ok: 0 };
  const before = new Date(Date.now() - minAgeMs);
  for (const kind of kinds) {
    const stale: JobDoc[] = await kind.docs(deps.store).unfinished(before);
    for (const doc of stale) counts[await reconcileJob(kind, doc._id, deps)] += 1;
  }
  return counts;
}
