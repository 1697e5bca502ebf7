import { ConflictError } from '../../core/errors';
import { finalizeJob } from '../../core/finalize';
import { isPullTerminal } from '../../core/models/pull';
import type { Handler } from '../context';
import { loadVisiblePull } from '../job-guards';
import { presentPull } from '../present-jobs';

/**
 * DELETE /v1/models/pulls/:id: queued → 200 `cancelled`; running → 202, the
 * worker aborts the download (the HTTP stream to Ollama is closed at once);
 * ended → 409. A pull is shared, so this stops it for everyone who asked.
 */
export const cancelPull: Handler = async (ctx) => {
  const { store, queues, events, redis, cancelChannel } = ctx.deps;
  const pull = await loadVisiblePull(ctx);
  if (isPullTerminal(pull.status)) throw new ConflictError(`pull already ended: ${pull.status}`);
  await store.pulls.requestCancel(pull._id);
  await redis.publish(cancelChannel, pull._id);
  const job = await queues.pulls.getJob(pull._id);
  // remove() refuses a job a worker holds (locked): that worker handles the cancel.
  const removed = job ? (await queues.pulls.remove(pull._id)) === 1 : true;
  if (removed) await finalizeJob({ events, docs: store.pulls }, pull._id, { status: 'cancelled' });
  const now = await store.pulls.get(pull._id);
  return { status: removed ? 200 : 202, body: presentPull(now ?? pull, ctx.principal.role === 'admin') };
};
