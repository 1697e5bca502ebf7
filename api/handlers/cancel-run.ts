import { RUN_JOB } from '../../core/jobs/kinds';
import type { Handler } from '../context';
import { cancelJob } from '../jobs';
import { presentRun } from '../present';

/** DELETE /v1/runs/:id: queued → 200 `cancelled`; running → 202, the container is killed; finished → 409. */
export const cancelRun: Handler = async (ctx) => {
  const { status, doc } = await cancelJob(RUN_JOB, ctx);
  return { status, body: presentRun(doc) };
};
