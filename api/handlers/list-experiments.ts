import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import { EXPERIMENT_STATES } from '../../core/experiments';
import { decodeCursor } from '../../core/store/cursor';
import type { Handler } from '../context';
import { presentExperiment } from '../present-jobs';

/** On the route table (api/routes.ts): validated before the handler runs. */
export const listExperimentsQuery = z.object({
  status: z.enum(EXPERIMENT_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  /** Admins only: one owner's experiments. */
  owner: z.string().max(200).optional(),
});

/** GET /v1/experiments → {items, nextCursor}: the caller's experiments (admins: everyone's), newest first. */
export const listExperiments: Handler = async (ctx) => {
  const q = ctx.query as z.infer<typeof listExperimentsQuery>;
  if (q.cursor !== undefined && !decodeCursor(q.cursor)) throw new ValidationError('invalid cursor');
  const owner = ctx.principal.role === 'admin' ? q.owner : ctx.principal.sub;
  const page = await ctx.deps.store.experiments.list({ owner, status: q.status, limit: q.limit, cursor: q.cursor });
  return { status: 200, body: { items: page.items.map(presentExperiment), nextCursor: page.nextCursor } };
};
