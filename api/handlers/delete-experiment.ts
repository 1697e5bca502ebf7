import { ConflictError } from '../../core/errors';
import { isExperimentTerminal } from '../../core/experiments';
import { finalizeJob } from '../../core/finalize';
import type { Handler } from '../context';
import { loadVisibleExperiment } from '../job-guards';
import { presentExperiment } from '../present-jobs';

/**
 * DELETE /v1/experiments/:id cancels: queued → 200 `cancelled` at once; running →
 * 202, the worker holding it aborts the call in flight and ends it `cancelled`
 * (messages stored so far are kept); ended → 409.
 * DELETE /v1/experiments/:id?purge=true deletes an ended experiment with its
 * conversations and events (200); while it is queued or running it is a 409:
 * cancel first, so no worker writes into a deleted experiment.
 */
export const deleteExperiment: Handler = async (ctx) => {
  const { store, queues, events, redis, cancelChannel } = ctx.deps;
  const exp = await loadVisibleExperiment(ctx);
  if (ctx.query.purge === 'true' || ctx.query.purge === '1') {
    if (!isExperimentTerminal(exp.status)) throw new ConflictError(`experiment is ${exp.status}: cancel it before purging`);
    const messages = await store.messages.deleteAll(exp._id);
    await store.events.col.deleteMany({ runId: exp._id });
    await store.experiments.delete(exp._id);
    return { status: 200, body: { id: exp._id, deleted: true, messages } };
  }
  if (isExperimentTerminal(exp.status)) throw new ConflictError(`experiment already ended: ${exp.status}`);
  await store.experiments.requestCancel(exp._id);
  await redis.publish(cancelChannel, exp._id);
  const job = await queues.experiments.getJob(exp._id);
  // remove() refuses a job a worker holds (locked): that worker handles the cancel.
  const removed = job ? (await queues.experiments.remove(exp._id)) === 1 : true;
  if (removed) await finalizeJob({ events, docs: store.experiments }, exp._id, { status: 'cancelled' });
  const now = await store.experiments.get(exp._id);
  return { status: removed ? 200 : 202, body: presentExperiment(now ?? exp) };
};
