import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import { PULL_STATES } from '../../core/models/pull';
import { decodeCursor } from '../../core/store/cursor';
import type { Handler } from '../context';
import { presentPull } from '../present-jobs';

/** On the route table (api/routes.ts): validated before the handler runs. */
export const listPullsQuery = z.object({
  status: z.enum(PULL_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  /** Admins only: pulls one user asked for. */
  owner: z.string().max(200).optional(),
});

/** GET /v1/models/pulls → {items, nextCursor}: pulls the caller asked for (admins: all), newest first. */
export const listPulls: Handler = async (ctx) => {
  const q = ctx.query as z.infer<typeof listPullsQuery>;
  if (q.cursor !== undefined && !decodeCursor(q.cursor)) throw new ValidationError('invalid cursor');
  const admin = ctx.principal.role === 'admin';
  const page = await ctx.deps.store.pulls.list({ owner: admin ? q.owner : ctx.principal.sub, status: q.status, limit: q.limit, cursor: q.cursor });
  return { status: 200, body: { items: page.items.map((p) => presentPull(p, admin)), nextCursor: page.nextCursor } };
};
