import type { Redis } from 'ioredis';
import type { EventLog, Finale } from '../events';
import type { RunDoc } from '../runs';
import { workerKey } from '../worker-liveness';
import type { JobDoc } from './model';
import type { JobMetrics } from '../metrics';
import type { Queues } from '../queues';
import type { Store } from '../store';
import { webhookOnEnd } from '../webhooks/notify';
import { finalizeJob } from './finalize';
import { RUN_JOB, type JobKind } from './kinds';

export interface SessionRunsDeps {
  store: Store;
  events: EventLog;
  queues: Queues;
  metrics?: JobMetrics;
}

/**
 * When a session ends, so does every run of it that has not: each ends in
 * `error`, code `session_ended`, naming why (a run in flight that ends on its
 * own first keeps its own state: the first terminal write wins). Called by
 * whoever learns of the end: the holder, the worker that finds a holder gone,
 * an API node, the reconciler.
 */
export async function endSessionRuns(deps: SessionRunsDeps, sessionId: string, why: string): Promise<number> {
  const runs = await deps.store.runs.unfinishedInSession(sessionId);
  const kind = RUN_JOB as unknown as JobKind;
  for (const run of runs) {
    await finalizeJob(deps.events, deps.store.runs, run._id, {
      status: 'error',
      error: { code: 'session_ended', message: `its session ${sessionId} ended: ${why}` },
    }, webhookOnEnd(deps.queues, kind, run), deps.metrics?.ended(kind, run));
  }
  return runs.length;
}

/** Whether a worker process is alive (its liveness key, core/worker-liveness.ts). */
export async function holderAlive(redis: Redis, prefix: string, holder: string): Promise<boolean> {
  return (await redis.exists(workerKey(prefix, holder))) === 1;
}

/**
 * For the reconciler: a session run has no queue entry (it went straight to its
 * holder), so it is judged by its session instead. `held`: leave it; a finale:
 * end it with that; undefined: not a session run.
 */
export type PinCheck = (kind: JobKind, doc: JobDoc) => Promise<'held' | Finale | undefined>;

export function sessionRunPin(store: Store, redis: Redis, prefix: string): PinCheck {
  return async (kind, doc) => {
    const session = kind.name === 'run' ? (doc as unknown as RunDoc).session : undefined;
    if (!session) return undefined;
    const s = await store.sessions.get(session.id);
    if (s?.status === 'queued') return 'held';
    if (s?.status === 'running' && s.holder && (await holderAlive(redis, prefix, s.holder))) return 'held';
    const why = !s ? 'it no longer exists' : s.status === 'running' ? 'the worker holding it is gone' : `it is ${s.result?.endReason ?? s.status}`;
    return { status: 'error', error: { code: 'session_ended', message: `its session ${session.id} ended: ${why}` } };
  };
}
