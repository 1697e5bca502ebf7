import { ConflictError } from '../../core/errors';
import { finalizeRun } from '../../core/finalize';
import { isTerminal } from '../../core/runs';
import type { Handler } from '../context';
import { loadVisibleRun } from '../guards';
import { presentRun } from '../present';

/**
 * DELETE /v1/runs/:id. A queued run is cancelled here (200). A running one is
 * killed by whichever worker holds it, told over Redis pub/sub (202; poll or
 * stream for the `cancelled` state). A finished run is a 409.
 */
export const cancelRun: Handler = async (ctx) => {
  const { store, queues, events, redis, cancelChannel } = ctx.deps;
  const run = await loadVisibleRun(ctx);
  if (isTerminal(run.status)) throw new ConflictError(`run already ended: ${run.status}`);
  await store.runs.requestCancel(run._id);
  await redis.publish(cancelChannel, run._id);

  const job = await queues.runs.getJob(run._id);
  // remove() refuses a job a worker holds (locked): that worker handles the cancel.
  const removed = job ? (await queues.runs.remove(run._id)) === 1 : true;
  if (removed) {
    await finalizeRun({ events, runs: store.runs }, run._id, { status: 'cancelled' });
    const now = await store.runs.get(run._id);
    return { status: 200, body: presentRun(now ?? run) };
  }
  const now = await store.runs.get(run._id);
  return { status: 202, body: presentRun(now ?? run) };
};
