import { NotFoundError } from '../core/errors';
import type { ExperimentDoc } from '../core/experiments';
import { EXPERIMENT_JOB, PULL_JOB, RUN_JOB, type JobKind } from '../core/jobs/kinds';
import type { JobDoc } from '../core/jobs/model';
import type { PullDoc } from '../core/models/pull';
import type { RunDoc } from '../core/runs';
import type { RequestContext } from './context';

/**
 * Loads a job of any kind that the caller may see. Another owner's job is a
 * 404, not a 403: ids are not disclosed.
 */
export async function loadVisible<D extends JobDoc>(kind: JobKind<D>, ctx: RequestContext): Promise<D> {
  const id = ctx.params.id ?? '';
  const doc = id.length <= 64 ? await kind.docs(ctx.deps.store).get(id) : null;
  if (!doc || (ctx.principal.role !== 'admin' && !kind.visibleTo(doc, ctx.principal.sub))) {
    throw new NotFoundError(`${kind.noun} ${id} not found`);
  }
  return doc;
}

export const loadVisibleRun = (ctx: RequestContext): Promise<RunDoc> => loadVisible(RUN_JOB, ctx);
export const loadVisibleExperiment = (ctx: RequestContext): Promise<ExperimentDoc> => loadVisible(EXPERIMENT_JOB, ctx);
export const loadVisiblePull = (ctx: RequestContext): Promise<PullDoc> => loadVisible(PULL_JOB, ctx);

export function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
