import { NotFoundError } from '../core/errors';
import type { ExperimentDoc } from '../core/experiments';
import type { PullDoc } from '../core/models/pull';
import type { RequestContext } from './context';

/** Loads an experiment the caller may see. Another owner's is a 404, not a 403: ids are not disclosed. */
export async function loadVisibleExperiment(ctx: RequestContext): Promise<ExperimentDoc> {
  const id = ctx.params.id ?? '';
  const exp = id.length <= 64 ? await ctx.deps.store.experiments.get(id) : null;
  if (!exp || (ctx.principal.role !== 'admin' && exp.owner !== ctx.principal.sub)) {
    throw new NotFoundError(`experiment ${id} not found`);
  }
  return exp;
}

/** Loads a model pull the caller may see: one they requested (or joined), or any for admins. */
export async function loadVisiblePull(ctx: RequestContext): Promise<PullDoc> {
  const id = ctx.params.id ?? '';
  const pull = id.length <= 64 ? await ctx.deps.store.pulls.get(id) : null;
  if (!pull || (ctx.principal.role !== 'admin' && !pull.owners.includes(ctx.principal.sub))) {
    throw new NotFoundError(`model pull ${id} not found`);
  }
  return pull;
}
