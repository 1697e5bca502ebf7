import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { ValidationError } from '../core/errors';
import type { RunEvent } from '../core/events';
import { isTerminal } from '../core/runs';
import type { RequestContext } from './context';
import { header, loadVisibleRun } from './guards';

/**
 * GET /v1/runs/:id/events — Server-Sent Events. Replays every event after
 * Last-Event-ID (header, or ?lastEventId= for clients that can't set headers),
 * then tails live until the run's `end` event. Works on any API instance:
 * a live run is read from its Redis stream, a finished one from MongoDB.
 */
export async function streamRunEvents(ctx: RequestContext, req: Request, res: Response): Promise<void> {
  const run = await loadVisibleRun(ctx);
  let last = lastEventId(ctx);
  const { events, store, config } = ctx.deps;

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');

  let closed = false;
  let tailConn: Redis | undefined;
  const dropTail = () => {
    // Once only: ioredis arms a timer on every disconnect() that only the first one clears.
    tailConn?.disconnect();
    tailConn = undefined;
  };
  req.on('close', () => {
    closed = true;
    dropTail(); // also breaks a blocking XREAD
  });
  const send = (e: RunEvent) => {
    res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    last = e.seq;
    return e.type === 'end';
  };

  try {
    let terminal = isTerminal(run.status);
    while (!closed) {
      if (terminal) {
        // Everything is in MongoDB once the run document is terminal.
        const page = await store.events.list(run._id, last, 500);
        if (page.length === 0 || page.some(send)) break;
        continue;
      }
      tailConn ??= ctx.deps.redis.duplicate();
      const batch = await events.tail(tailConn, run._id, last, config.SSE_HEARTBEAT_MS);
      if (closed) break;
      if (batch.some(send)) break;
      if (batch.length === 0) {
        res.write(': heartbeat\n\n');
        // A quiet stream may mean the run ended and its live stream expired.
        const now = await store.runs.get(run._id);
        terminal = !now || isTerminal(now.status);
      }
    }
  } catch (err) {
    if (!closed) ctx.deps.log.warn({ err, runId: run._id }, 'event stream failed');
  } finally {
    dropTail();
    res.end();
  }
}

function lastEventId(ctx: RequestContext): number {
  const raw = header(ctx, 'last-event-id') ?? (typeof ctx.query.lastEventId === 'string' ? ctx.query.lastEventId : undefined);
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new ValidationError('Last-Event-ID must be a non-negative integer');
  return n;
}
