import { z } from 'zod';
import { PaddockError } from '../../core/errors';
import { runRequestSchema } from '../../core/runs';
import type { Handler } from '../context';
import { presentRun } from '../present';
import { admitRuns } from '../quotas';
import { acceptRuns, prepareRun, type NewRun } from '../run-intake';
import { parseOrThrow } from '../validate';

const MAX_BATCH = 1000;
export const batchSchema = z.object({ runs: z.array(z.unknown()).min(1).max(MAX_BATCH) }).strict();

/**
 * POST /v1/runs/batch {runs: [...]} → 202 {items}: up to 1000 runs in one request.
 * Each run is validated on its own: `items[i]` is the accepted run or its error
 * (`{index, error: {code, message, details}}`); valid runs are accepted even when
 * others are not. Stored with one insertMany and enqueued with one addBulk.
 * Idempotency-Key is not supported here: retry only the runs that errored.
 */
interface Item {
  index: number;
  run?: NewRun;
  error?: { code: string; message: string; details?: unknown };
}

export const createBatch: Handler = async (ctx) => {
  const { runs: bodies } = ctx.body as z.infer<typeof batchSchema>;
  const items: Item[] = bodies.map((body, index) => {
    try {
      return { index, run: prepareRun(ctx, parseOrThrow(runRequestSchema, body)) };
    } catch (err) {
      if (!(err instanceof PaddockError)) throw err;
      return { index, error: { code: err.code, message: err.message, details: err.details } };
    }
  });
  // Valid runs beyond the caller's quota are refused one by one, like invalid ones.
  const valid = items.filter((i) => i.run);
  const room = valid.length > 0 ? await admitRuns(ctx, valid.length) : 0;
  for (const item of valid.slice(room)) {
    item.run = undefined;
    item.error = { code: 'rate_limited', message: 'over your submission quota (QUOTAS); submit it again later' };
  }
  const accepted = items.flatMap((i) => (i.run ? [i.run] : []));
  if (accepted.length > 0) {
    await ctx.deps.store.runs.insertMany(accepted);
    await acceptRuns(ctx, accepted);
  }
  const body = items.map(({ index, run, error }) => (run ? { index, ...presentRun(run) } : { index, error }));
  return { status: 202, body: { accepted: accepted.length, rejected: bodies.length - accepted.length, items: body } };
};
