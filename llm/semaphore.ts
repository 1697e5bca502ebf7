import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sleep } from './abort';
import { LUA_NOW, LuaScript } from '../core/redis-script';

/**
 * A counting semaphore in Redis shared by every worker on every host: a sorted
 * set of leases scored by their expiry. A holder renews its lease while it works;
 * a holder that crashes stops renewing and its slot frees itself after `ttlMs`,
 * so a dead worker cannot leak capacity.
 */

const ACQUIRE = `${LUA_NOW}
-- KEYS[1] leases (member: lease id, score: expiry ms); ARGV: limit, ttlMs, leaseId
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0`;

const RENEW = `${LUA_NOW}
-- Only a lease that still exists is renewed: an expired one may already be someone else's slot.
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
  return 1
end
return 0`;

export interface Lease {
  /** Frees the slot. Safe to call twice. */
  release(): Promise<void>;
  /** False once a renewal found the lease gone (it expired while we held it). */
  readonly held: boolean;
}

export interface SemaphoreOptions {
  redis: Redis;
  key: string;
  limit: number;
  /** Lease lifetime without renewal. Renewed every ttlMs/3 while held. */
  ttlMs: number;
  /** Called when a renewal fails or finds the lease gone; must not throw. */
  onLeaseLost?: (reason: string) => void;
}

export class RedisSemaphore {
  private readonly acquireScript = new LuaScript(ACQUIRE);
  private readonly renewScript = new LuaScript(RENEW);

  constructor(private readonly opts: SemaphoreOptions) {}

  /** One attempt: a lease, or undefined when all slots are taken. */
  async tryAcquire(): Promise<Lease | undefined> {
    const { redis, key, limit, ttlMs } = this.opts;
    const id = randomUUID();
    const ok = await this.acquireScript.run(redis, [key], [limit, ttlMs, id]);
    return ok === 1 ? this.lease(id) : undefined;
  }

  /**
   * Waits for a slot, polling with growing jittered pauses (no pub/sub: a poll
   * costs one small script call and needs no extra connection). Resolves
   * undefined after `timeoutMs`; rejects with LlmAbortError when `signal` fires.
   */
  async acquire(signal: AbortSignal | undefined, timeoutMs: number, random = Math.random): Promise<Lease | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
      const lease = await this.tryAcquire();
      if (lease) return lease;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await sleep(Math.min(left, pause / 2 + random() * pause), signal);
    }
  }

  /** Leases currently held (expired ones not counted). For tests and metrics. */
  async count(): Promise<number> {
    const { redis, key } = this.opts;
    const time = await redis.time();
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    return redis.zcount(key, `(${now}`, '+inf');
  }

  private lease(id: string): Lease {
    const { redis, key, ttlMs, onLeaseLost } = this.opts;
    let held = true;
    let released: Promise<void> | undefined;
    const timer = setInterval(() => {
      this.renewScript.run(redis, [key], [ttlMs, id]).then(
        (ok) => {
          if (ok !== 1 && held) {
            held = false;
            onLeaseLost?.('lease expired before renewal');
          }
        },
        (err) => onLeaseLost?.(`lease renewal failed: ${(err as Error).message}`),
      );
    }, Math.max(10, Math.floor(ttlMs / 3)));
    timer.unref();
    return {
      get held() {
        return held;
      },
      release: () => {
        released ??= (async () => {
          clearInterval(timer);
          held = false;
          await redis.zrem(key, id);
        })();
        return released;
      },
    };
  }
}
