import { z } from 'zod';
import { ConflictError } from '../../core/errors';
import { isExperimentTerminal } from '../../core/experiments';
import { EXPERIMENT_JOB } from '../../core/jobs/kinds';
import type { Handler } from '../context';
import { loadVisibleExperiment } from '../guards';
import { cancelJob } from '../jobs';
import { presentExperiment } from '../present-jobs';

/**
 * DELETE /v1/experiments/:id cancels: queued → 200 `cancelled` at once; running →
 * 202, the worker holding it aborts the call in flight and ends it `cancelled`
 * (messages stored so far are kept); ended → 409.
 * DELETE /v1/experiments/:id?purge=true deletes an ended experiment with its
 * conversations and events (200); while it is queued or running it is a 409:
 * cancel first, so no worker writes into a deleted experiment.
 */
/** `?purge=true` deletes an ended experiment instead of cancelling it (on the route table). */
export const deleteExperimentQuery = z.object({ purge: z.enum(['true', 'false', '1', '0']).optional() });

export const deleteExperiment: Handler = async (ctx) => {
  const { store } = ctx.deps;
  const exp = await loadVisibleExperiment(ctx);
  const { purge } = ctx.query as z.infer<typeof deleteExperimentQuery>;
  if (purge === 'true' || purge === '1') {
    if (!isExperimentTerminal(exp.status)) throw new ConflictError(`experiment is ${exp.status}: cancel it before purging`);
    const messages = await store.messages.deleteAll(exp._id);
    await store.events.deleteAll(exp._id);
    await store.experiments.delete(exp._id);
    return { status: 200, body: { id: exp._id, deleted: true, messages } };
  }
  const { status, doc } = await cancelJob(EXPERIMENT_JOB, ctx);
  return { status, body: presentExperiment(doc) };
};
