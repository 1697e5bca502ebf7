import { NotFoundError } from '../core/errors';
import type { RunDoc } from '../core/runs';
import type { RequestContext } from './context';

/** Loads a run the caller may see. Another owner's run is a 404, not a 403: ids are not disclosed. */
export async function loadVisibleRun(ctx: RequestContext): Promise<RunDoc> {
  const id = ctx.params.id ?? '';
  const run = id.length <= 64 ? await ctx.deps.store.runs.get(id) : null;
  if (!run || (ctx.principal.role !== 'admin' && run.owner !== ctx.principal.sub)) {
    throw new NotFoundError(`run ${id} not found`);
  }
  return run;
}

export function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
