import type { Logger } from '../core/logger';
import { enqueueRun, type Queues } from '../core/queues';
import type { RunStore } from '../core/store/runs';

/**
 * An API node that dies between inserting a run and enqueueing its job leaves a
 * run that no worker will ever see. Workers periodically re-enqueue runs still
 * queued after `minAgeMs` whose job is missing; enqueueing is idempotent
 * (jobId = runId), so two workers doing this at once is harmless.
 */
export async function requeueOrphans(runs: RunStore, queues: Queues, minAgeMs: number, log: Logger): Promise<number> {
  const candidates = await runs.staleQueued(new Date(Date.now() - minAgeMs));
  let requeued = 0;
  for (const run of candidates) {
    if (await queues.runs.getJob(run._id)) continue;
    await enqueueRun(queues, run._id);
    requeued += 1;
    log.warn({ runId: run._id }, 'requeued a run whose job was missing');
  }
  return requeued;
}
