/**
 * Limits that must hold across workers: two Llm instances on separate Redis
 * connections with the same prefix stand in for two worker processes.
 */
import { Redis } from 'ioredis';
import { createLlm, parseLlmConfig, ProviderError, type Llm } from '../../llm';
import { RedisSemaphore } from '../../llm/semaphore';
import { startFakeOpenAI, type FakeLlmServer, type FakeRequest } from '../fakes/llm';
import { deferred, testRedis } from './helpers';

let fake: FakeLlmServer;
let redis: Redis;
let nextPrefix: () => string;
const extraConnections: Redis[] = [];
const llms: Llm[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI(['m']);
  ({ redis, prefix: nextPrefix } = testRedis('limits'));
});

afterEach(async () => {
  await Promise.all(llms.splice(0).map((l) => l.close()));
  fake.reset();
});

afterAll(async () => {
  await fake.close();
  // Not the "crashed" one again: ioredis arms a 2 s timer on every disconnect() that only the first clears.
  await Promise.all(extraConnections.filter((c) => c.status !== 'end').map((c) => c.quit()));
  await redis.quit();
});

function connection(): Redis {
  const c = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
  extraConnections.push(c);
  return c;
}

/** Two "workers": separate Llm instances and Redis connections, one shared prefix. */
function workers(provider: Record<string, unknown>, opts: { acquireTimeoutMs?: number; leaseTtlMs?: number } = {}): [Llm, Llm] {
  const config = parseLlmConfig({
    LLM_PROVIDERS: JSON.stringify([{ name: 'p', type: 'openai-compatible', baseURL: fake.baseURL, models: ['m'], retry: { maxAttempts: 1 }, ...provider }]),
  });
  const prefix = nextPrefix();
  const pair = [createLlm({ config, redis: connection(), prefix, ...opts }), createLlm({ config, redis: connection(), prefix, ...opts })] as [Llm, Llm];
  llms.push(...pair);
  return pair;
}

const ask = (llm: Llm, signal?: AbortSignal) => llm.chat({ model: 'p/m', messages: [{ role: 'user', content: 'hi' }], signal });

/** Most requests open at the fake at the same time, from arrival and close times. */
function maxOverlap(reqs: FakeRequest[]): number {
  const events = reqs.flatMap((r) => [[r.at, 1], [r.closedAt ?? Number.POSITIVE_INFINITY, -1]] as const);
  // Closes sort before arrivals at the same millisecond: a slot freed and reused is not an overlap.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (open += d));
  return max;
}

test('the concurrency cap holds across two workers', async () => {
  const [w1, w2] = workers({ maxConcurrency: 2 });
  const gates = [deferred(), deferred(), deferred(), deferred()];
  fake.script(...gates.map((g, i) => ({ type: 'text' as const, text: `answer ${i}`, gate: g.promise })));

  const calls = [ask(w1), ask(w2), ask(w1), ask(w2)];
  const firstTwo = await fake.waitForRequests(2);
  // Two slots taken; finishing one lets exactly one more in.
  gates[0]!.resolve();
  const three = await fake.waitForRequests(3);
  expect(three[2]!.at).toBeGreaterThanOrEqual(Math.min(...firstTwo.map((r) => r.closedAt ?? Number.POSITIVE_INFINITY)));
  gates.forEach((g) => g.resolve());
  const results = await Promise.all(calls);

  expect(results.map((r) => r.text).sort()).toEqual(['answer 0', 'answer 1', 'answer 2', 'answer 3']);
  expect(fake.requests).toHaveLength(4);
  expect(maxOverlap(fake.requests)).toBe(2);
});

test('a crashed holder’s lease expires and frees its slot', async () => {
  const prefix = nextPrefix();
  const config = parseLlmConfig({
    LLM_PROVIDERS: JSON.stringify([{ name: 'p', type: 'openai-compatible', baseURL: fake.baseURL, models: ['m'], maxConcurrency: 1, retry: { maxAttempts: 1 } }]),
  });
  const doomedRedis = connection();
  const doomed = createLlm({ config, redis: doomedRedis, prefix, leaseTtlMs: 400 });
  const survivor = createLlm({ config, redis: connection(), prefix, leaseTtlMs: 400 });
  llms.push(doomed, survivor);

  fake.script({ type: 'hang' }, { type: 'text', text: 'got the slot' });
  const ac = new AbortController();
  const stuck = ask(doomed, ac.signal).catch((e) => e);
  await fake.waitForRequests(1);

  // The holder "crashes": its Redis connection is gone, so it can neither renew nor release.
  doomedRedis.disconnect();
  const crashedAt = Date.now();
  ac.abort();
  expect(await stuck).toMatchObject({ name: 'AbortError' });

  const res = await ask(survivor);
  expect(res.text).toBe('got the slot');
  // The survivor got in only once the lease ran out (TTL 400 ms, renewed every ~133 ms until the crash).
  expect(fake.requests[1]!.at - crashedAt).toBeGreaterThanOrEqual(150);
});

test('leases past their expiry do not count; release frees a slot', async () => {
  const key = `${nextPrefix()}:slots`;
  const sem = new RedisSemaphore({ redis, key, limit: 1, ttlMs: 10_000 });
  // A holder that died long ago: its lease score is in the past.
  await redis.zadd(key, Date.now() - 1_000, 'ghost');
  const lease = await sem.tryAcquire();
  expect(lease).toBeDefined();
  expect(await sem.tryAcquire()).toBeUndefined();
  expect(await sem.count()).toBe(1);
  await lease!.release();
  await lease!.release(); // idempotent
  const again = await sem.tryAcquire();
  expect(again).toBeDefined();
  await again!.release();
});

test('the rate limit holds across two workers (sliding window)', async () => {
  const [w1, w2] = workers({ rateLimit: { requests: 2, perMs: 1000 } });
  const results = await Promise.all([ask(w1), ask(w2), ask(w1)]);
  expect(results).toHaveLength(3);
  const times = fake.requests.map((r) => r.at).sort((a, b) => a - b);
  // The third admission waits until the first leaves the 1 s window (small allowance for HTTP latency).
  expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(900);
});

test('a full rate window longer than acquireTimeoutMs gives up with kind busy (no request made)', async () => {
  const [w1, w2] = workers({ rateLimit: { requests: 1, perMs: 60_000 } }, { acquireTimeoutMs: 100 });
  await ask(w1);
  const err = await ask(w2).catch((e) => e);
  expect(err).toBeInstanceOf(ProviderError);
  expect(err).toMatchObject({ kind: 'busy' });
  expect(fake.requests).toHaveLength(1);
});

test('the circuit is shared: one worker’s failures open it for the other', async () => {
  const [w1, w2] = workers({ circuit: { failureThreshold: 2, coolDownMs: 60_000 } });
  fake.script({ type: 'error', status: 500 }, { type: 'error', status: 502 });
  await expect(ask(w1)).rejects.toBeInstanceOf(ProviderError);
  await expect(ask(w1)).rejects.toBeInstanceOf(ProviderError);
  const err = await ask(w2).catch((e) => e);
  expect(err).toMatchObject({ kind: 'circuit_open', attempts: [{ provider: 'p', outcome: 'skipped', reason: 'circuit open' }] });
  expect(fake.requests).toHaveLength(2);
  expect((await w2.integrations())[0]!.circuit).toBe('open');
});
