import { ConflictError, UnavailableError, ValidationError } from '../../core/errors';
import { RUN_JOB } from '../../core/jobs/kinds';
import { enqueue } from '../../core/queues';
import type { RunDoc, RunRequest } from '../../core/runs';
import { isDuplicateKey } from '../../core/store';
import type { Handler, RequestContext } from '../context';
import { header } from '../guards';
import { presentRun } from '../present';
import { admitRuns } from '../quotas';
import { acceptRuns, prepareRun } from '../run-intake';

/** POST /v1/runs → 202 {id, status, links}. */
export const createRun: Handler = async (ctx) => {
  const key = idempotencyKey(ctx);
  const run = prepareRun(ctx, ctx.body as RunRequest, key);
  await admitRuns(ctx, 1);
  try {
    await ctx.deps.store.runs.insert(run);
  } catch (err) {
    if (!key || !isDuplicateKey(err)) throw err;
    return replay(ctx, run._id, run.requestHash);
  }
  await acceptRuns(ctx, [run]);
  return { status: 202, body: presentRun(run), headers: { location: `/v1/runs/${run._id}` } };
};

async function replay(ctx: RequestContext, id: string, requestHash: string) {
  const existing = (await ctx.deps.store.runs.get(id)) as (RunDoc & { requestHash?: string }) | null;
  if (!existing) throw new UnavailableError('a run with this Idempotency-Key is being created; try again');
  if (existing.requestHash !== requestHash) {
    throw new ConflictError('this Idempotency-Key was used with a different request body');
  }
  // The first POST may have died between insert and enqueue; enqueueing again is a no-op otherwise.
  if (existing.status === 'queued') await enqueue(ctx.deps.queues, 'run', [RUN_JOB.jobData(existing)]);
  return { status: 202, body: presentRun(existing), headers: { 'idempotent-replayed': 'true' } };
}

function idempotencyKey(ctx: RequestContext): string | undefined {
  const key = header(ctx, 'idempotency-key');
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1–200 printable ASCII characters');
  }
  return key;
}
