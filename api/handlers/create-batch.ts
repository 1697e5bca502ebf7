import { z } from 'zod';
import { PaddockError } from '../../core/errors';
import { runRequestSchema } from '../../core/runs';
import type { Handler } from '../context';
import { presentRun } from '../present';
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
export const createBatch: Handler = async (ctx) => {
  const { runs: bodies } = ctx.body as z.infer<typeof batchSchema>;
  const items: unknown[] = [];
  const accepted: NewRun[] = [];
  bodies.forEach((body, index) => {
    try {
      const run = prepareRun(ctx, parseOrThrow(runRequestSchema, body));
      accepted.push(run);
      items.push({ index, run });
    } catch (err) {
      if (!(err instanceof PaddockError)) throw err;
      items.push({ index, error: { code: err.code, message: err.message, details: err.details } });
    }
  });
  if (accepted.length > 0) {
    await ctx.deps.store.runs.insertMany(accepted);
    await acceptRuns(ctx, accepted);
  }
  const body = items.map((item) => {
    const { index, run } = item as { index: number; run?: NewRun };
    return run ? { index, ...presentRun(run) } : item;
  });
  return { status: 202, body: { accepted: accepted.length, rejected: bodies.length - accepted.length, items: body } };
};
