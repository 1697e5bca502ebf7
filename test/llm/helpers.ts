import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** A promise with its resolve handle, for "wait until X happened" without sleeps. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Polls a condition that depends on the clock (a circuit cool-down, a lease
 * expiry) until it holds. Bounded; fails with `what` in the message.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A Redis client for the suite's server and a key prefix unique to this test file and run. */
export function testRedis(file: string): { redis: Redis; prefix: () => string } {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run through jest (global setup starts Redis)');
  const base = `llmtest-${file}-${randomUUID().slice(0, 8)}`;
  let n = 0;
  return { redis: new Redis(url, { maxRetriesPerRequest: 2 }), prefix: () => `${base}-${++n}` };
}

/** A 1×1 transparent PNG as a data URL. */
export const PNG_DATA_URL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
export const PNG_BASE64 = PNG_DATA_URL.slice('data:image/png;base64,'.length);
