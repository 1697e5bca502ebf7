import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import { decodeCursor } from '../../core/store/cursor';
import type { Handler } from '../context';
import { presentAgent } from '../present-agents';

/** On the route table (api/routes.ts): validated before the handler runs. */
export const listAgentsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  /** Admins only: one owner's agents. */
  owner: z.string().max(200).optional(),
});

/** GET /v1/agents → {items, nextCursor}: the caller's agents (admins: everyone's), newest first. */
export const listAgents: Handler = async (ctx) => {
  const q = ctx.query as z.infer<typeof listAgentsQuery>;
  if (q.cursor !== undefined && !decodeCursor(q.cursor)) throw new ValidationError('invalid cursor');
  const owner = ctx.principal.role === 'admin' ? q.owner : ctx.principal.sub;
  const page = await ctx.deps.store.agents.list({ owner, limit: q.limit, cursor: q.cursor });
  return { status: 200, body: { items: page.items.map(presentAgent), nextCursor: page.nextCursor } };
};
