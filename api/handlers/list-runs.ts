import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import { RUN_KINDS, RUN_STATES } from '../../core/runs';
import { isValidCursor } from '../../core/store/runs';
import type { Handler } from '../context';
import { presentRun } from '../present';

/** On the route table (api/routes.ts): validated before the handler runs. */
export const listRunsQuery = z.object({
  status: z.enum(RUN_STATES).optional(),
  kind: z.enum(RUN_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  /** Admins only: one owner's runs. */
  owner: z.string().max(200).optional(),
});

/** GET /v1/runs → {items, nextCursor}: the caller's runs (admins: everyone's), newest first. */
export const listRuns: Handler = async (ctx) => {
  const q = ctx.query as z.infer<typeof listRunsQuery>;
  if (q.cursor !== undefined && !isValidCursor(q.cursor)) throw new ValidationError('invalid cursor');
  const owner = ctx.principal.role === 'admin' ? q.owner : ctx.principal.sub;
  const page = await ctx.deps.store.runs.list({ owner, status: q.status, kind: q.kind, limit: q.limit, cursor: q.cursor });
  return { status: 200, body: { items: page.items.map(presentRun), nextCursor: page.nextCursor } };
};
