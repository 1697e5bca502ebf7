import type { Redis } from 'ioredis';
import { z } from 'zod';
import { LuaScript } from '../redis-script';

/**
 * Priorities and fair shares on open-source BullMQ, whose only ordering tool is
 * a per-job priority (1 = first … 2^21). A job's BullMQ priority is
 *
 *   CLASS_BASE[class] + its position among its owner's queued jobs of that queue
 *
 * - Classes are strict: every queued `critical` job starts before any `high`
 *   one, and so on down to `low` (the starvation rule: a lower class waits
 *   while a higher one has queued work; nothing ages upward).
 * - Within a class, owners take turns: the n-th queued job of every owner
 *   starts before any owner's (n+1)-th, ties in submission order. So one user's
 *   1,000-run batch holds positions 1…1000, and another user's single run
 *   (position 1) starts after at most the first of them.
 */
export const PRIORITY_CLASSES = ['critical', 'high', 'medium', 'low'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];
export const prioritySchema = z.enum(PRIORITY_CLASSES);

/** Positions per class: 2^19, so four classes fit BullMQ's 2^21 priorities. */
const CLASS_SPAN = 2 ** 19;
const CLASS_BASE: Record<PriorityClass, number> = { critical: 0, high: CLASS_SPAN, medium: 2 * CLASS_SPAN, low: 3 * CLASS_SPAN };

export function bullmqPriority(cls: PriorityClass, position: number): number {
  return CLASS_BASE[cls] + Math.min(Math.max(position, 1), CLASS_SPAN - 1);
}

/** Queued entries older than this are dropped from the position count (jobs the queue lost are ended by the reconciler). */
const STALE_MS = 24 * 3600 * 1000;

// KEYS[1]: the owner's queued set. ARGV: now, stale cutoff, then ids.
// Adds each id (NX: a re-enqueued job keeps its place) and returns each one's 1-based position.
const POSITIONS = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local out = {}
for i = 3, #ARGV do
  redis.call('ZADD', KEYS[1], 'NX', ARGV[1] + i, ARGV[i])
  out[#out + 1] = redis.call('ZRANK', KEYS[1], ARGV[i]) + 1
end
redis.call('PEXPIRE', KEYS[1], ${STALE_MS})
return out`;

const positionsScript = new LuaScript(POSITIONS);

/** Each owner's queued jobs per queue, in Redis, so every API node computes the same positions. */
export class FairShares {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(queue: string, owner: string): string {
    return `${this.prefix}:fair:${queue}:${owner}`;
  }

  /** Registers queued jobs of one owner and returns their positions, in order. */
  async enter(queue: string, owner: string, ids: string[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const now = Date.now();
    return (await positionsScript.run(this.redis, [this.key(queue, owner)], [now, now - STALE_MS, ...ids])) as number[];
  }

  /** The job left the queue (claimed, cancelled, ended): later jobs of its owner move up. Idempotent. */
  async leave(queue: string, owner: string, id: string): Promise<void> {
    await this.redis.zrem(this.key(queue, owner), id);
  }
}
