import type { Request, Response } from 'express';
import { z } from 'zod';
import { ConflictError } from '../core/errors';
import { finalizeJob } from '../core/jobs/finalize';
import type { JobKind } from '../core/jobs/kinds';
import { isTerminal, type JobDoc } from '../core/jobs/model';
import { QUEUES } from '../core/queues';
import { webhookOnEnd } from '../core/webhooks/notify';
import type { RequestContext } from './context';
import { loadVisible } from './guards';
import { streamEvents } from './sse';

/**
 * The HTTP side of the one job lifecycle, for every kind: cancel and stream.
 * Handlers of each kind add only how they present the document.
 */

/**
 * Cancels a visible job. Queued: its queue entry is removed and it ends
 * `cancelled` here (200). Running: the worker holding it is told over Redis
 * pub/sub and ends it (202; poll or stream for `cancelled`). Ended: 409.
 * `loaded`: the document, when the caller has loaded it through loadVisible already.
 */
export async function cancelJob<D extends JobDoc>(kind: JobKind<D>, ctx: RequestContext, loaded?: D): Promise<{ status: 200 | 202; doc: D }> {
  const { store, queues, events, redis, cancelChannel } = ctx.deps;
  const doc = loaded ?? (await loadVisible(kind, ctx));
  if (isTerminal(doc.status)) throw new ConflictError(`${kind.noun} already ended: ${doc.status}`);
  const docs = kind.docs(store);
  await docs.requestCancel(doc._id);
  await redis.publish(cancelChannel, doc._id);
  const queue = queues.of(kind.name);
  const job = await queue.getJob(doc._id);
  // remove() refuses a job a worker holds (locked): that worker handles the cancel.
  const removed = job ? (await queue.remove(doc._id)) === 1 : true;
  if (removed) {
    const asJob = kind as unknown as JobKind;
    await finalizeJob(events, docs, doc._id, { status: 'cancelled' }, webhookOnEnd(queues, asJob, doc), ctx.deps.metrics.jobs.ended(asJob, doc));
    await queues.fair.leave(QUEUES[kind.name], kind.jobData(doc).owner, doc._id);
  }
  return { status: removed ? 200 : 202, doc: (await docs.get(doc._id)) ?? doc };
}

/**
 * The only query parameter of the SSE routes: `?lastEventId=` for clients that
 * cannot set the Last-Event-ID header (the relay in sse.ts reads and checks it).
 */
export const STREAM_QUERY = z.object({ lastEventId: z.string().optional() });

/** GET …/:id/events for a kind: the SSE relay (replay after Last-Event-ID, then live until `end`). */
export function streamJob<D extends JobDoc>(kind: JobKind<D>) {
  return async (ctx: RequestContext, req: Request, res: Response): Promise<void> => {
    const doc = await loadVisible(kind, ctx);
    const open = ctx.deps.metrics.sseStreams.labels({ queue: QUEUES[kind.name] });
    open.inc();
    res.once('close', () => open.dec());
    await streamEvents(ctx, req, res, {
      id: doc._id,
      terminal: isTerminal(doc.status),
      isTerminal: async () => {
        const now = await kind.docs(ctx.deps.store).get(doc._id);
        return !now || isTerminal(now.status);
      },
    });
  };
}
