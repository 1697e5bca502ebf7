import { RateLimitedError } from '../core/errors';
import { RedisRateLimiter } from '../llm/rate-limit';
import type { RequestContext } from './context';

/** How long a client over its active-runs cap is told to wait before trying again. */
const ACTIVE_RETRY_AFTER_S = 5;

/**
 * The caller's submission quota (QUOTAS, per role): how many of `n` valid runs
 * may be accepted now. Zero is a 429 with Retry-After; fewer than `n` leaves the
 * rest to the caller (a batch marks them rate_limited). Runs count against the
 * per-minute window when admitted here, before they are stored.
 */
export async function admitRuns(ctx: RequestContext, n: number): Promise<number> {
  const { config, store, redis } = ctx.deps;
  const quota = config.QUOTAS[ctx.principal.role];
  const owner = ctx.principal.sub;
  let room = n;
  if (quota.maxActiveRuns > 0) {
    const active = await store.runs.countActive(owner);
    room = Math.min(room, Math.max(0, quota.maxActiveRuns - active));
    if (room === 0) {
      throw new RateLimitedError(`${active} of your runs are queued or running (at most ${quota.maxActiveRuns}); wait for some to end`, ACTIVE_RETRY_AFTER_S);
    }
  }
  if (quota.runsPerMinute > 0 && room > 0) {
    const limiter = new RedisRateLimiter({ redis, key: `${config.QUEUE_PREFIX}:quota:${owner}:runs`, requests: quota.runsPerMinute, perMs: 60_000 });
    const { admitted, retryAfterMs } = await limiter.tryTakeUpTo(room);
    if (admitted === 0) throw new RateLimitedError(`at most ${quota.runsPerMinute} runs per minute`, Math.max(1, Math.ceil(retryAfterMs / 1000)));
    room = admitted;
  }
  return room;
}
