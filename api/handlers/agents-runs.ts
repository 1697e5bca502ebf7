import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import { RUN_STATES } from '../../core/runs';
import { isValidCursor } from '../../core/store/runs';
import type { Handler } from '../context';
import { presentRun } from '../present';
import { loadVisibleAgent } from './agents-guard';

/** On the route table (api/routes.ts): validated before the handler runs. */
export const agentRunsQuery = z.object({
  status: z.enum(RUN_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

/** GET /v1/agents/:id/runs → {items, nextCursor}: the agent's auto-runs, newest first (users: their own). */
export const agentRuns: Handler = async (ctx) => {
  const q = ctx.query as z.infer<typeof agentRunsQuery>;
  if (q.cursor !== undefined && !isValidCursor(q.cursor)) throw new ValidationError('invalid cursor');
  const agent = await loadVisibleAgent(ctx);
  const owner = ctx.principal.role === 'admin' ? undefined : ctx.principal.sub;
  const page = await ctx.deps.store.runs.list({ owner, agentId: agent._id, status: q.status, limit: q.limit, cursor: q.cursor });
  return { status: 200, body: { items: page.items.map(presentRun), nextCursor: page.nextCursor } };
};
