import type { Redis } from 'ioredis';
import { masters } from './redis-connect';

/**
 * Worker liveness as the API sees it. Every worker process keeps the key
 * `${QUEUE_PREFIX}:worker:${ownerId}` alive in Redis with a PX TTL of three
 * heartbeats (workers/index.ts); a worker that stops or dies disappears within
 * that TTL. The sandbox reapers read the same keys.
 */
export function workerKey(prefix: string, ownerId: string): string {
  return `${prefix}:worker:${ownerId}`;
}

export interface WorkerCount {
  count: number;
  /** False when the scan stopped at its bound before covering the keyspace (count is then a lower bound). */
  complete: boolean;
}

/** SCAN steps at most; each looks at about `SCAN_COUNT` keys of the whole keyspace. */
const MAX_SCANS = 50;
const SCAN_COUNT = 1000;

/** Counts live workers of one system; bounded, so a large shared Redis cannot make it slow. */
export async function countWorkers(redis: Redis, prefix: string): Promise<WorkerCount> {
  // QUEUE_PREFIX is [A-Za-z0-9_-]+, maybe in braces (config.ts): nothing in it is a glob character.
  const match = workerKey(prefix, '*');
  const seen = new Set<string>();
  let complete = true;
  // A cluster's SCAN covers one node: visit every master (one holds them all under a {hash tag} prefix).
  for (const node of masters(redis)) complete = (await scanNode(node, match, seen)) && complete;
  return { count: seen.size, complete };
}

async function scanNode(node: Redis, match: string, seen: Set<string>): Promise<boolean> {
  let cursor = '0';
  for (let i = 0; i < MAX_SCANS; i++) {
    const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
    for (const k of keys) seen.add(k); // SCAN may return a key twice
    cursor = next;
    if (cursor === '0') return true;
  }
  return false;
}
