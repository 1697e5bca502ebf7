import type { Redis } from 'ioredis';
import { LUA_NOW, LuaScript } from '../core/redis-script';
import type { CircuitState } from './types';

/**
 * A circuit breaker per provider whose state lives in Redis, so every worker
 * and API instance sees the same circuit: GET /v1/integrations runs in the API
 * process, which may never call a provider itself, and one worker's evidence
 * that a provider is down spares the other workers their own N failed calls.
 *
 * closed → (failureThreshold consecutive failed calls, fleet-wide) → open
 * open → (coolDownMs later, the next call) → half_open with ONE probe lease
 * half_open → probe succeeds → closed; probe fails → open again
 * A probe that ends without a verdict (aborted, 429, 4xx) just returns its lease.
 */

const ACQUIRE = `${LUA_NOW}
-- KEYS[1] hash; ARGV: probeLeaseMs. Returns {decision, failures}.
local st = redis.call('HGET', KEYS[1], 'state') or 'closed'
if st == 'closed' then return {'closed', tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')} end
if st == 'open' and now < tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0') then return {'open', 0} end
if st == 'half_open' and now < tonumber(redis.call('HGET', KEYS[1], 'probeUntil') or '0') then return {'open', 0} end
redis.call('HSET', KEYS[1], 'state', 'half_open', 'probeUntil', now + tonumber(ARGV[1]))
redis.call('PEXPIRE', KEYS[1], 86400000)
return {'probe', 0}`;

const SUCCESS = `redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0)
redis.call('HDEL', KEYS[1], 'openUntil', 'probeUntil')
redis.call('PEXPIRE', KEYS[1], 86400000)
return 'closed'`;

const FAILURE = `${LUA_NOW}
-- ARGV: threshold, coolDownMs, wasProbe
local st = redis.call('HGET', KEYS[1], 'state') or 'closed'
if st ~= 'closed' then
  -- Only the probe's outcome decides a half-open circuit; late failures of calls
  -- that started before the circuit opened change nothing.
  if ARGV[3] == '1' then
    redis.call('HSET', KEYS[1], 'state', 'open', 'openUntil', now + tonumber(ARGV[2]))
    redis.call('HDEL', KEYS[1], 'probeUntil')
    return 'open'
  end
  return st
end
local f = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('PEXPIRE', KEYS[1], 86400000)
if f >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'openUntil', now + tonumber(ARGV[2]), 'failures', 0)
  return 'open'
end
return 'closed'`;

const RELEASE_PROBE = `if redis.call('HGET', KEYS[1], 'state') == 'half_open' then redis.call('HSET', KEYS[1], 'probeUntil', 0) end
return 1`;

const STATE = `${LUA_NOW}
local st = redis.call('HGET', KEYS[1], 'state') or 'closed'
-- An open circuit past its cool-down admits a probe on the next call: report it as half-open.
if st == 'open' and now >= tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0') then return 'half_open' end
return st`;

export type CircuitDecision = 'closed' | 'probe' | 'open';

export interface CircuitOptions {
  failureThreshold: number;
  coolDownMs: number;
  /** How long a probe may take before another caller may probe. */
  probeLeaseMs: number;
}

export class CircuitBreaker {
  private readonly scripts = {
    acquire: new LuaScript(ACQUIRE),
    success: new LuaScript(SUCCESS),
    failure: new LuaScript(FAILURE),
    releaseProbe: new LuaScript(RELEASE_PROBE),
    state: new LuaScript(STATE),
  };

  constructor(private readonly redis: Redis, private readonly key: string, private readonly opts: CircuitOptions) {}

  /** May a call go to this provider? 'probe' means it is the one half-open trial. */
  async acquire(): Promise<{ decision: CircuitDecision; failures: number }> {
    const [decision, failures] = (await this.scripts.acquire.run(this.redis, [this.key], [this.opts.probeLeaseMs])) as [CircuitDecision, number];
    return { decision, failures: Number(failures) };
  }

  async success(): Promise<void> {
    await this.scripts.success.run(this.redis, [this.key], []);
  }

  /** Returns the state after counting this failure. */
  async failure(wasProbe: boolean): Promise<CircuitState> {
    const { failureThreshold, coolDownMs } = this.opts;
    return (await this.scripts.failure.run(this.redis, [this.key], [failureThreshold, coolDownMs, wasProbe ? '1' : '0'])) as CircuitState;
  }

  /** A probe ended without telling us whether the provider is healthy. */
  async releaseProbe(): Promise<void> {
    await this.scripts.releaseProbe.run(this.redis, [this.key], []);
  }

  async state(): Promise<CircuitState> {
    return (await this.scripts.state.run(this.redis, [this.key], [])) as CircuitState;
  }
}
