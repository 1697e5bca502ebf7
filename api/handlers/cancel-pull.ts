import { PULL_JOB } from '../../core/jobs/kinds';
import type { Handler } from '../context';
import { cancelJob } from '../jobs';
import { presentPull } from '../present-jobs';

/**
 * DELETE /v1/models/pulls/:id: queued → 200 `cancelled`; running → 202, the
 * worker closes the HTTP stream to Ollama at once; ended → 409. A pull is
 * shared, so this stops it for everyone who asked.
 */
export const cancelPull: Handler = async (ctx) => {
  const { status, doc } = await cancelJob(PULL_JOB, ctx);
  return { status, body: presentPull(doc, ctx.principal.role === 'admin') };
};
