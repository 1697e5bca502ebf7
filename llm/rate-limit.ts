import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sleep } from './abort';
import { LUA_NOW, LuaScript } from '../core/redis-script';

/**
 * A sliding-window-log rate limiter in Redis shared by every worker: at most
 * `requests` admissions in any `perMs` window. Exact (no burst at window edges),
 * at the cost of one sorted-set entry per admitted request in the window — fine
 * for provider limits of up to a few thousand requests per window.
 */

const TAKE = `${LUA_NOW}
-- KEYS[1] admissions (score: time ms); ARGV: requests, perMs, member
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now + 1)`;

const TAKE_UP_TO = `${LUA_NOW}
-- KEYS[1] admissions; ARGV: requests, perMs, n, member prefix. Returns {admitted, ms until the next slot frees (0: one is free)}.
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local free = tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])
local n = math.max(0, math.min(free, tonumber(ARGV[3])))
for i = 1, n do redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i) end
if n > 0 then redis.call('PEXPIRE', KEYS[1], window) end
if free - n > 0 then return {n, 0} end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {n, math.max(1, tonumber(oldest[2]) + window - now + 1)}`;

export interface RateLimitOptions {
  redis: Redis;
  key: string;
  requests: number;
  perMs: number;
}

const takeScript = new LuaScript(TAKE);
const takeUpToScript = new LuaScript(TAKE_UP_TO);

export class RedisRateLimiter {

  constructor(private readonly opts: RateLimitOptions) {}

  /** 0 when admitted now, else how many ms until a slot in the window frees up. */
  async tryTake(): Promise<number> {
    const { redis, key, requests, perMs } = this.opts;
    return Number(await takeScript.run(redis, [key], [requests, perMs, randomUUID()]));
  }

  /** Admits as many of `n` as the window has room for, at once; with when the next slot frees. */
  async tryTakeUpTo(n: number): Promise<{ admitted: number; retryAfterMs: number }> {
    const { redis, key, requests, perMs } = this.opts;
    const [admitted, retryAfterMs] = (await takeUpToScript.run(redis, [key], [requests, perMs, n, randomUUID()])) as [number, number];
    return { admitted: Number(admitted), retryAfterMs: Number(retryAfterMs) };
  }

  /**
   * Waits until admitted. Resolves false when that would take longer than
   * `timeoutMs`; rejects with LlmAbortError when `signal` fires.
   */
  async take(signal: AbortSignal | undefined, timeoutMs: number, random = Math.random): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const wait = await this.tryTake();
      if (wait === 0) return true;
      const left = deadline - Date.now();
      if (wait > left) return false;
      // Jitter so waiters across workers do not all retry in the same millisecond.
      await sleep(wait + random() * 20, signal);
    }
  }
}
