import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { ValidationError } from '../core/errors';
import type { JobEvent } from '../core/events';
import type { RequestContext } from './context';
import { header } from './guards';

/** Which event log to relay, and how to tell that its document has ended (all its events are then in MongoDB). */
export interface EventSource {
  id: string;
  /** The document's state when the request arrived. */
  terminal: boolean;
  /** Asked again when the live stream goes quiet (it may have ended and expired). */
  isTerminal(): Promise<boolean>;
}

/**
 * The SSE relay for any event log — runs, experiments, model pulls: replay after
 * Last-Event-ID, then tail live until `end`. Call it after the visibility check
 * (a 404 must go out before the stream's headers).
 */
export async function streamEvents(ctx: RequestContext, req: Request, res: Response, source: EventSource): Promise<void> {
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
  /** An XREAD BLOCK is pending on tailConn. */
  let reading = false;
  const dropTail = () => {
    // Once only: ioredis arms a timer on every disconnect() that only the first one clears.
    tailConn?.disconnect();
    tailConn = undefined;
  };
  req.on('close', () => {
    closed = true;
    if (reading) dropTail(); // breaks the blocking XREAD
  });
  const send = (e: JobEvent) => {
    res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    last = e.seq;
    return e.type === 'end';
  };

  try {
    let terminal = source.terminal;
    while (!closed) {
      if (terminal) {
        // Everything is in MongoDB once the run document is terminal.
        const page = await store.events.list(source.id, last, 500);
        if (page.length === 0 || page.some(send)) break;
        continue;
      }
      tailConn ??= ctx.deps.tails.take();
      reading = true;
      let batch: JobEvent[];
      try {
        batch = await events.tail(tailConn, source.id, last, config.SSE_HEARTBEAT_MS);
      } finally {
        reading = false;
      }
      if (closed) break;
      if (batch.some(send)) break;
      if (batch.length === 0) {
        res.write(': heartbeat\n\n');
        // A quiet stream may mean the run ended and its live stream expired.
        terminal = await source.isTerminal();
      }
    }
  } catch (err) {
    if (!closed) ctx.deps.log.warn({ err, id: source.id }, 'event stream failed');
  } finally {
    if (tailConn) ctx.deps.tails.give(tailConn);
    tailConn = undefined;
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
