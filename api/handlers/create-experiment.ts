import { emptyTotals, type ExperimentDoc, type ExperimentRequest } from '../../core/experiments';
import { newId } from '../../core/ids';
import { EXPERIMENT_JOB } from '../../core/jobs/kinds';
import { admitJobs } from '../../core/jobs/accept';
import type { Handler, RequestContext } from '../context';
import { checkCallbackUrl, checkModelRefs, requireProvider } from '../model-refs';
import { presentExperiment } from '../present-jobs';

/** POST /v1/experiments → 202 {id, status, links, …}: queued; a worker runs the conversation. */
export const createExperiment: Handler = async (ctx) => {
  const request = ctx.body as ExperimentRequest;
  checkModels(ctx, request);
  const now = new Date();
  const exp: ExperimentDoc = {
    _id: newId('exp'),
    owner: ctx.principal.sub,
    status: 'queued',
    request,
    name: request.name,
    description: request.description,
    metadata: request.metadata,
    createdAt: now,
    updatedAt: now,
    attempts: 0,
    callbackUrl: request.callbackUrl,
    iterations: [],
    totals: emptyTotals(),
  };
  await ctx.deps.store.experiments.insert(exp);
  await admitJobs(EXPERIMENT_JOB, ctx.deps, [exp]);
  return { status: 202, body: presentExperiment(exp), headers: { location: `/v1/experiments/${exp._id}` } };
};

function checkModels(ctx: RequestContext, request: ExperimentRequest): void {
  requireProvider(ctx.deps.config, ['agents', 0, 'model']);
  checkCallbackUrl(ctx.deps.config, request.callbackUrl);
  checkModelRefs(ctx.deps.config, [
    ...request.agents.map((a, i) => ({ ref: a.model, path: ['agents', i, 'model'] })),
    ...(request.selectorModel ? [{ ref: request.selectorModel, path: ['selectorModel'] }] : []),
  ]);
}
