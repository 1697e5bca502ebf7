import type { z } from 'zod';
import { NotFoundError } from '../../core/errors';
import type { experimentPatchSchema } from '../../core/experiments';
import type { Handler } from '../context';
import { loadVisibleExperiment } from '../guards';
import { presentExperiment } from '../present-jobs';

/** PATCH /v1/experiments/:id {name?, description?, metadata?}: metadata only, in any state; metadata is replaced whole. */
export const updateExperiment: Handler = async (ctx) => {
  const patch = ctx.body as z.infer<typeof experimentPatchSchema>;
  const exp = await loadVisibleExperiment(ctx);
  const updated = await ctx.deps.store.experiments.updateMeta(exp._id, patch);
  if (!updated) throw new NotFoundError(`experiment ${exp._id} not found`);
  return { status: 200, body: presentExperiment(updated) };
};
