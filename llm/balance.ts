import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger';
import type { BalanceGroup, BalanceTarget, LlmConfig } from './config';
import { LuaScript } from '../core/redis-script';

/**
 * Orders a balanced model's targets for one call (LLM_BALANCE, `balance/<alias>`).
 * The first target is the one the strategy picked; the others follow as
 * fallbacks in their turn. State is in Redis, shared by every worker and host:
 *
 * - round_robin: one INCR per call on `<prefix>:llm:balance:<alias>:rr`; call n
 *   starts at target (n-1) mod count.
 * - least_latency: an exponentially weighted moving average (weight
 *   LATENCY_WEIGHT for the newest sample) of the latencies of successful calls,
 *   per target, in `<prefix>:llm:<provider>:latency:<model>`. A target without
 *   a sample goes first (so every target gets measured); a sample older than
 *   LATENCY_TTL_MS expires, so a target that was slow once is measured again.
 *   Ties keep configuration order.
 *
 * Balancing is a preference, not a guard: if Redis cannot answer, the call uses
 * configuration order and the problem is logged.
 */

/** Weight of the newest latency sample in the moving average. */
export const LATENCY_WEIGHT = 0.3;
/** A target with no successful call for this long loses its average and is measured afresh. */
export const LATENCY_TTL_MS = 10 * 60_000;

const RECORD = `-- KEYS[1] average; ARGV: sample ms, weight, ttl ms
local old = tonumber(redis.call('GET', KEYS[1]) or '')
local x = tonumber(ARGV[1])
local avg = x
if old then avg = old + tonumber(ARGV[2]) * (x - old) end
redis.call('SET', KEYS[1], tostring(avg), 'PX', tonumber(ARGV[3]))
return tostring(avg)`;

const record = new LuaScript(RECORD);

export interface Balancer {
  /** The group's targets, the picked one first. Never throws. */
  order(group: BalanceGroup): Promise<BalanceTarget[]>;
  /** Notes a successful call's latency when the target is part of a least_latency group. Never throws. */
  recordSuccess(target: BalanceTarget, latencyMs: number): Promise<void>;
  /** Current averages (ms) of a group's targets, undefined where none; for tests and diagnostics. */
  latencies(group: BalanceGroup): Promise<(number | undefined)[]>;
}

export function createBalancer(opts: { config: LlmConfig; redis: Redis; prefix: string; log: Logger }): Balancer {
  const { redis, prefix, log } = opts;
  const groups = Object.values(opts.config.balance ?? {});
  const measured = new Set(groups.filter((g) => g.strategy === 'least_latency').flatMap((g) => g.targets.map(refOf)));
  const latencyKey = (t: BalanceTarget) => `${prefix}:llm:${t.provider}:latency:${t.model}`;

  async function latencies(group: BalanceGroup): Promise<(number | undefined)[]> {
    const values = await redis.mget(...group.targets.map(latencyKey));
    return values.map((v) => (v === null ? undefined : Number(v)));
  }

  return {
    async order(group) {
      const { targets } = group;
      try {
        if (group.strategy === 'round_robin') {
          const n = await redis.incr(`${prefix}:llm:balance:${group.alias}:rr`);
          const start = (n - 1) % targets.length;
          return [...targets.slice(start), ...targets.slice(0, start)];
        }
        const avg = await latencies(group);
        const rank = (i: number) => avg[i] ?? Number.NEGATIVE_INFINITY;
        return targets.map((t, i) => ({ t, i })).sort((a, b) => rank(a.i) - rank(b.i) || a.i - b.i).map((x) => x.t);
      } catch (err) {
        log.warn({ err, alias: group.alias }, 'LLM balancing: reading the shared state failed; using configuration order');
        return [...targets];
      }
    },
    async recordSuccess(target, latencyMs) {
      if (!measured.has(refOf(target))) return;
      try {
        await record.run(redis, [latencyKey(target)], [Math.max(0, Math.round(latencyMs)), LATENCY_WEIGHT, LATENCY_TTL_MS]);
      } catch (err) {
        log.warn({ err, provider: target.provider, model: target.model }, 'LLM balancing: recording a latency failed');
      }
    },
    latencies,
  };
}

const refOf = (t: BalanceTarget) => `${t.provider}/${t.model}`;
