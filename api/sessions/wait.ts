import { isTerminal } from '../../core/jobs/model';
import type { SessionDoc } from '../../core/sessions';
import type { RequestContext } from '../context';

/** What a request waits for: the holder has the container up (or the session ended first), or the session ended. */
export type SessionMilestone = 'opened' | 'ended';

/**
 * Waits for a session to reach `milestone`, on its own events: the event log's
 * live stream in Redis (core/events.ts), tailed with a blocking XREAD as the SSE
 * relay does, so no MongoDB reads while nothing happens. Returns the document,
 * or null when `ms` passed first (the document is read once more then: an event
 * that could not be appended must not turn a settled session into a 202).
 *
 * The holder records `holder` before it emits `opened`; an end's `end` event is
 * appended before the document turns terminal (core/jobs/finalize.ts), so after
 * it the document is read until it is terminal (settledAfterEnd).
 */
export async function waitForSession(ctx: RequestContext, id: string, milestone: SessionMilestone, ms: number): Promise<SessionDoc | null> {
  const { events, tails, store } = ctx.deps;
  const deadline = Date.now() + ms;
  const conn = tails.take();
  try {
    let after = 0;
    for (let left = ms; left > 0; left = deadline - Date.now()) {
      const batch = await events.tail(conn, id, after, left);
      const ended = batch.some((e) => e.type === 'end');
      if (ended) return settledAfterEnd(ctx, id, deadline);
      if (milestone === 'opened' && batch.some((e) => e.type === 'session' && (e.data as { event?: string }).event === 'opened')) {
        return store.sessions.get(id);
      }
      after = batch.at(-1)?.seq ?? after;
    }
  } finally {
    // Every XREAD here has returned (each is bounded by the deadline): the connection can serve the next tail.
    tails.give(conn);
  }
  const doc = await store.sessions.get(id);
  return doc && reached(doc, milestone) ? doc : null;
}

function reached(doc: SessionDoc, milestone: SessionMilestone): boolean {
  if (isTerminal(doc.status)) return true;
  return milestone === 'opened' && doc.status === 'running' && doc.holder !== undefined;
}

/** Between the `end` event and the document's terminal write, finalizeJob copies the events to MongoDB (milliseconds). */
const TERMINAL_WRITE_POLL_MS = 5;

/**
 * After the `end` event: the document as it is once finalizeJob has written its
 * terminal state, so a read that follows this request's answer sees the end
 * too. Nothing signals that write, so it is re-read across that short gap
 * (bounded by the request's deadline, then the recorded finale is laid over it).
 */
async function settledAfterEnd(ctx: RequestContext, id: string, deadline: number): Promise<SessionDoc | null> {
  for (;;) {
    const doc = await ctx.deps.store.sessions.get(id);
    if (!doc || isTerminal(doc.status)) return doc;
    if (Date.now() >= deadline) return withFinale(ctx, doc);
    await new Promise((r) => setTimeout(r, TERMINAL_WRITE_POLL_MS));
  }
}

/** A document not yet terminal, with the recorded finale laid over it. */
async function withFinale(ctx: RequestContext, doc: SessionDoc): Promise<SessionDoc> {
  const finale = await ctx.deps.events.finale(doc._id);
  if (!finale) return doc;
  return { ...doc, status: finale.status, result: (finale.result as SessionDoc['result']) ?? doc.result, error: finale.error ?? doc.error };
}
