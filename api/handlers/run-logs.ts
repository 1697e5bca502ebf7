import { z } from 'zod';
import { isTerminal } from '../../core/runs';
import type { Handler } from '../context';
import { loadVisibleRun } from '../guards';

/** On the route table (api/routes.ts): validated before the handler runs. */
export const runLogsQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** GET /v1/runs/:id/logs?after=&limit= → {items, nextAfter}: events as JSON pages. */
export const runLogs: Handler = async (ctx) => {
  const q = ctx.query as z.infer<typeof runLogsQuery>;
  const run = await loadVisibleRun(ctx);
  const { events, store } = ctx.deps;
  // A finished run's events are all in MongoDB; a live one's newest may still be only in Redis.
  const items =
    !isTerminal(run.status) && (await events.isLive(run._id))
      ? await events.read(run._id, q.after, q.limit)
      : await store.events.list(run._id, q.after, q.limit);
  const last = items[items.length - 1];
  return { status: 200, body: { items, nextAfter: last ? last.seq : q.after } };
};
