/**
 * Load balancing (LLM_BALANCE): round-robin and least-latency order over fake
 * providers, shared state in real Redis, fallback within the group and then
 * LLM_FALLBACK, and config errors that name the variable.
 */
import type { Redis } from 'ioredis';
import { ConfigError } from '../../core/errors';
import { createLlm, parseLlmConfig, type Llm } from '../../llm';
import { createBalancer } from '../../llm/balance';
import { silentLogger } from '../../core/logger';
import { startFakeOpenAI, type FakeLlmServer } from '../fakes/llm';
import { testRedis } from './helpers';

let a: FakeLlmServer;
let b: FakeLlmServer;
let c: FakeLlmServer;
let redis: Redis;
let nextPrefix: () => string;
const llms: Llm[] = [];

beforeAll(async () => {
  [a, b, c] = await Promise.all([startFakeOpenAI(['model-a']), startFakeOpenAI(['model-b']), startFakeOpenAI(['model-c'])]);
  ({ redis, prefix: nextPrefix } = testRedis('balance'));
});

afterEach(async () => {
  await Promise.all(llms.splice(0).map((l) => l.close()));
  [a, b, c].forEach((f) => f.reset());
});

afterAll(async () => {
  await Promise.all([a, b, c].map((f) => f.close()));
  await redis.quit();
});

function env(balance: unknown, fallback = ''): Record<string, string> {
  return {
    LLM_PROVIDERS: JSON.stringify([
      { name: 'pa', type: 'openai-compatible', baseURL: a.baseURL, models: ['model-a'], retry: { maxAttempts: 1 } },
      { name: 'pb', type: 'openai-compatible', baseURL: b.baseURL, models: ['model-b'], retry: { maxAttempts: 1 } },
      { name: 'pc', type: 'openai-compatible', baseURL: c.baseURL, models: ['model-c'], retry: { maxAttempts: 1 } },
    ]),
    LLM_BALANCE: typeof balance === 'string' ? balance : JSON.stringify(balance),
    LLM_FALLBACK: fallback,
  };
}

function make(strategy: 'round_robin' | 'least_latency', fallback = '', prefix = nextPrefix()): Llm {
  const config = parseLlmConfig(env({ duo: { strategy, targets: ['pa/model-a', 'pb/model-b'] } }, fallback));
  const llm = createLlm({ config, redis, prefix });
  llms.push(llm);
  return llm;
}

const hi = [{ role: 'user' as const, content: 'hi' }];

test('round-robin alternates between the targets, with the counter shared by every Llm on the prefix', async () => {
  const prefix = nextPrefix();
  // Two instances stand in for two workers: the turn is kept in Redis, not in memory.
  const [one, two] = [make('round_robin', '', prefix), make('round_robin', '', prefix)];
  const used: string[] = [];
  for (const llm of [one, two, one, two]) used.push((await llm.chat({ model: 'balance/duo', messages: hi })).model);
  expect(used).toEqual(['pa/model-a', 'pb/model-b', 'pa/model-a', 'pb/model-b']);
  expect(a.requests.map((r) => r.model)).toEqual(['model-a', 'model-a']);
  expect(b.requests.map((r) => r.model)).toEqual(['model-b', 'model-b']);
});

test('least latency measures each target, then prefers the faster one', async () => {
  const llm = make('least_latency');
  // pa answers 300 ms late every time; pb at once.
  a.script(...Array.from({ length: 5 }, () => ({ type: 'text' as const, delayMs: 300 })));
  const used: string[] = [];
  for (let i = 0; i < 5; i++) used.push((await llm.chat({ model: 'balance/duo', messages: hi })).model);
  // Unmeasured targets go first (configuration order), then the lower moving average wins.
  expect(used).toEqual(['pa/model-a', 'pb/model-b', 'pb/model-b', 'pb/model-b', 'pb/model-b']);
  expect(a.requests).toHaveLength(1);
  expect(b.requests).toHaveLength(4);
});

test('the moving average follows recent latencies', async () => {
  const prefix = nextPrefix();
  const config = parseLlmConfig(env({ duo: { strategy: 'least_latency', targets: ['pa/model-a', 'pb/model-b'] } }));
  const balancer = createBalancer({ config, redis, prefix, log: silentLogger() });
  const group = config.balance!.duo!;
  await balancer.recordSuccess({ provider: 'pa', model: 'model-a' }, 100);
  await balancer.recordSuccess({ provider: 'pa', model: 'model-a' }, 200);
  await balancer.recordSuccess({ provider: 'pb', model: 'model-b' }, 120);
  // 100 + 0.3 × (200 − 100) = 130 > 120: pb first.
  expect(await balancer.latencies(group)).toEqual([130, 120]);
  expect((await balancer.order(group)).map((t) => t.provider)).toEqual(['pb', 'pa']);
  // A provider outside every least_latency group is not measured.
  await balancer.recordSuccess({ provider: 'pc', model: 'model-c' }, 5);
  expect(await redis.exists(`${prefix}:llm:pc:latency:model-c`)).toBe(0);
});

test('a failing balanced target falls back to the other target, then to LLM_FALLBACK', async () => {
  const llm = make('round_robin', 'pc');
  a.script({ type: 'error', status: 500 });
  const res = await llm.chat({ model: 'balance/duo', messages: hi });
  expect(res.model).toBe('pb/model-b');
  expect(res.attempts.map((x) => [x.provider, x.outcome])).toEqual([['pa', 'failed'], ['pb', 'ok']]);

  // Turn 2 starts at pb; both targets fail, so LLM_FALLBACK's pc answers.
  b.script({ type: 'error', status: 503 });
  a.script({ type: 'error', status: 503 });
  const next = await llm.chat({ model: 'balance/duo', messages: hi });
  expect(next.attempts.map((x) => [x.provider, x.outcome])).toEqual([['pb', 'failed'], ['pa', 'failed'], ['pc', 'ok']]);
  expect(next.model).toBe('pc/model-c');

  // fallback: false keeps the group's own targets but not LLM_FALLBACK.
  a.script({ type: 'error', status: 503 });
  b.script({ type: 'error', status: 503 });
  await expect(llm.chat({ model: 'balance/duo', messages: hi, fallback: false })).rejects.toMatchObject({
    attempts: [expect.objectContaining({ provider: 'pa' }), expect.objectContaining({ provider: 'pb' })],
  });
  expect(c.requests).toHaveLength(1);
});

test('an unknown balanced alias is a capability error naming the defined ones', async () => {
  const llm = make('round_robin');
  await expect(llm.chat({ model: 'balance/nope', messages: hi })).rejects.toMatchObject({ kind: 'capability', message: expect.stringContaining('balance/duo') });
});

describe('LLM_BALANCE configuration', () => {
  function errorOf(e: Record<string, string>): string {
    try {
      parseLlmConfig(e);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('expected a ConfigError');
  }

  test('a valid setting is parsed into groups; unset means no balance field', () => {
    const config = parseLlmConfig(env({ fast: { strategy: 'least_latency', targets: ['pa/model-a', 'pc/model-c'] } }));
    expect(config.balance).toEqual({
      fast: { alias: 'fast', strategy: 'least_latency', targets: [{ provider: 'pa', model: 'model-a' }, { provider: 'pc', model: 'model-c' }] },
    });
    const { LLM_BALANCE: _, ...rest } = env({});
    expect(parseLlmConfig(rest).balance).toBeUndefined();
  });

  test.each([
    ['an unknown provider', { x: { strategy: 'round_robin', targets: ['pa/model-a', 'nope/m'] } }, 'LLM_BALANCE.x.targets[1]: unknown provider "nope"'],
    ['a target without a model', { x: { strategy: 'round_robin', targets: ['pa'] } }, 'LLM_BALANCE.x.targets[0]: "pa" names no model'],
    ['a model the provider does not list', { x: { strategy: 'round_robin', targets: ['pa/model-z'] } }, 'LLM_BALANCE.x.targets[0]: model "model-z" is not in the models of provider "pa"'],
    ['a target listed twice', { x: { strategy: 'round_robin', targets: ['pa/model-a', 'pa/model-a'] } }, 'LLM_BALANCE.x.targets[1]: "pa/model-a" is listed twice'],
    ['an unknown strategy', { x: { strategy: 'random', targets: ['pa/model-a'] } }, 'LLM_BALANCE.x.strategy:'],
    ['no targets', { x: { strategy: 'round_robin', targets: [] } }, 'LLM_BALANCE.x.targets:'],
    ['an unknown field', { x: { strategy: 'round_robin', targets: ['pa/model-a'], weight: 2 } }, 'LLM_BALANCE.x:'],
    ['not JSON', '{strategy', 'LLM_BALANCE: not valid JSON'],
  ])('%s fails naming the variable', (_what, balance, expected) => {
    expect(errorOf(env(balance))).toContain(expected);
  });

  test('"balance" is reserved as a provider name while LLM_BALANCE is set', () => {
    const e = {
      LLM_PROVIDERS: JSON.stringify([{ name: 'balance', type: 'ollama', baseURL: 'http://127.0.0.1:11434' }]),
      LLM_BALANCE: JSON.stringify({ x: { strategy: 'round_robin', targets: ['balance/m'] } }),
    };
    expect(errorOf(e)).toContain('LLM_PROVIDERS[0].name: "balance" is reserved');
  });
});
