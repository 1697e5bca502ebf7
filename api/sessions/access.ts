import { ConflictError, PaddockError, SessionGoneError, UnavailableError, type ErrorCode } from '../../core/errors';
import { finalizeJob } from '../../core/jobs/finalize';
import { SESSION_JOB, type JobKind } from '../../core/jobs/kinds';
import { isTerminal } from '../../core/jobs/model';
import { endSessionRuns, holderAlive } from '../../core/jobs/session-runs';
import { HolderGoneError, HolderTimeoutError, type SessionOp } from '../../core/session-rpc';
import { sessionFinale, type SessionDoc } from '../../core/sessions';
import { webhookOnEnd } from '../../core/webhooks/notify';
import type { RequestContext } from '../context';
import { loadVisible } from '../guards';

/** How long an API node waits for the holder to answer a file operation (the agent bounds each to 10 s). */
const HOLDER_ANSWER_MS = 30_000;

export type OpenSession = SessionDoc & { holder: string };

/** The caller's session, with a holder that is alive; a session whose holder is gone is ended here first. */
export async function loadSession(ctx: RequestContext): Promise<SessionDoc> {
  const doc = await loadVisible(SESSION_JOB, ctx);
  if (doc.status === 'running' && doc.holder && !(await holderAlive(ctx.deps.redis, ctx.deps.config.QUEUE_PREFIX, doc.holder))) {
    return endLostSession(ctx, doc);
  }
  return doc;
}

/** The caller's session, open: 409 `session_ended` once it ended, 409 `conflict` while it starts. */
export async function loadOpenSession(ctx: RequestContext): Promise<OpenSession> {
  const doc = await loadSession(ctx);
  if (isTerminal(doc.status)) throw endedError(doc);
  if (doc.status !== 'running' || !doc.holder) throw new ConflictError(`session ${doc._id} is still starting; wait until its status is open`);
  return doc as OpenSession;
}

/** Sends one operation to the worker holding the session and returns its answer (or the refusal as an HTTP error). */
export async function askHolder(ctx: RequestContext, doc: OpenSession, op: SessionOp): Promise<unknown> {
  let reply;
  try {
    reply = await ctx.deps.sessions.call(doc.holder, { ...op, session: doc._id }, HOLDER_ANSWER_MS);
  } catch (err) {
    if (err instanceof HolderGoneError) {
      if (!(await holderAlive(ctx.deps.redis, ctx.deps.config.QUEUE_PREFIX, doc.holder))) throw endedError(await endLostSession(ctx, doc));
      throw new UnavailableError(`the worker holding session ${doc._id} is not answering; if it stopped, the session ends within ${(3 * ctx.deps.config.WORKER_HEARTBEAT_MS) / 1000} s`);
    }
    if (err instanceof HolderTimeoutError) throw new UnavailableError(`the worker holding session ${doc._id} did not answer in time; try again`);
    throw err;
  }
  if (!reply.ok) {
    if (reply.error.code === 'session_ended') throw endedError((await ctx.deps.store.sessions.get(doc._id)) ?? doc);
    throw new PaddockError(reply.error.code as ErrorCode, reply.error.status, reply.error.message);
  }
  return reply.value;
}

export function endedError(doc: SessionDoc): SessionGoneError {
  const reason = doc.result?.endReason;
  return new SessionGoneError(`session ${doc._id} has ended${reason ? ` (${reason})` : ''}`, { endReason: reason ?? null });
}

/** The holder is gone: the session ends `worker_lost`, and its unfinished runs with it. */
async function endLostSession(ctx: RequestContext, doc: SessionDoc): Promise<SessionDoc> {
  const { events, store, queues, metrics } = ctx.deps;
  const kind = SESSION_JOB as unknown as JobKind;
  const finale = sessionFinale('worker_lost', await store.runs.countInSession(doc._id));
  await finalizeJob(events, store.sessions, doc._id, finale, webhookOnEnd(queues, kind, doc), metrics.jobs.ended(kind, doc));
  await endSessionRuns({ store, events, queues, metrics: metrics.jobs }, doc._id, finale.error!.message);
  ctx.deps.log.warn({ session: doc._id, holder: doc.holder }, 'ended a session whose worker is gone');
  return (await store.sessions.get(doc._id)) ?? doc;
}
