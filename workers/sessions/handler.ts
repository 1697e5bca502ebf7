import { SESSION_JOB } from '../../core/jobs/kinds';
import type { SessionDoc } from '../../core/sessions';
import type { JobHandler } from '../lifecycle';
import type { SessionHolder } from './holder';

/**
 * Sessions in the one job lifecycle: a session's job is active while this
 * worker holds its container, so BullMQ's concurrency is the worker's session
 * slots, and a holder that dies shows up as a stalled job (SessionHolder.hold
 * then ends it as `worker_lost` on whichever worker takes it up).
 */
export function sessionHandler(holder: SessionHolder, concurrency: number): JobHandler<SessionDoc> {
  return {
    kind: SESSION_JOB,
    concurrency,
    finalOnShutdown: true,
    execute: (doc, ctx, emitter) => holder.hold(doc, ctx.signal, emitter),
    outcome: (finale) => ({ status: finale.status, ...(finale.error ? { error: finale.error } : {}) }),
  };
}
