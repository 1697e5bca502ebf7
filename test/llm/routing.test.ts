/**
 * Routing rules: which provider and model a call uses, fallback model choice,
 * model selection by policy, Retry-After caps, timeouts, close().
 */
import type { Redis } from 'ioredis';
import { createLlm, parseLlmConfig, ProviderError, type Llm } from '../../llm';
import { parseRetryAfter } from '../../llm/classify';
import { retryDelay } from '../../llm/retry';
import { startFakeOpenAI, type FakeLlmServer } from '../fakes/llm';
import { PNG_DATA_URL, testRedis } from './helpers';

let a: FakeLlmServer;
let b: FakeLlmServer;
let c: FakeLlmServer;
let redis: Redis;
let nextPrefix: () => string;
const llms: Llm[] = [];

beforeAll(async () => {
  [a, b, c] = await Promise.all([startFakeOpenAI(['a-chat']), startFakeOpenAI(['shared', 'b-chat']), startFakeOpenAI(['c-embed', 'c-vision'])]);
  ({ redis, prefix: nextPrefix } = testRedis('routing'));
});

afterEach(async () => {
  await Promise.all(llms.splice(0).map((l) => l.close()));
  [a, b, c].forEach((f) => f.reset());
});

afterAll(async () => {
  await Promise.all([a, b, c].map((f) => f.close()));
  await redis.quit();
});

const fast = { retry: { maxAttempts: 1 } };

function make(fallback = 'b,c', overrides: Record<string, Record<string, unknown>> = {}, opts: { random?: () => number } = {}): Llm {
  const config = parseLlmConfig({
    LLM_PROVIDERS: JSON.stringify([
      { name: 'a', type: 'openai-compatible', baseURL: a.baseURL, models: ['a-chat', 'shared'], prices: { 'a-chat': { inputPerMTok: 5, outputPerMTok: 15 } }, ...fast, ...overrides.a },
      { name: 'b', type: 'openai-compatible', baseURL: b.baseURL, models: ['b-chat', 'shared'], prices: { 'b-chat': { inputPerMTok: 0.1, outputPerMTok: 0.4 } }, ...fast, ...overrides.b },
      {
        name: 'c', type: 'openai-compatible', baseURL: c.baseURL, models: ['c-embed', 'c-vision'],
        modelCapabilities: { 'c-vision': ['chat', 'vision'] }, prices: { 'c-vision': { inputPerMTok: 1, outputPerMTok: 1 } }, ...fast, ...overrides.c,
      },
    ]),
    LLM_FALLBACK: fallback,
  });
  const llm = createLlm({ config, redis, prefix: nextPrefix(), ...opts });
  llms.push(llm);
  return llm;
}

const hi = [{ role: 'user' as const, content: 'hi' }];

test('a fallback uses the same model name when it lists it, else its first model with the capability', async () => {
  const llm = make();
  a.script({ type: 'error', status: 500 });
  const same = await llm.chat({ model: 'a/shared', messages: hi });
  expect(same.model).toBe('b/shared');
  expect(b.requests[0]!.model).toBe('shared');

  a.script({ type: 'error', status: 500 });
  b.script({ type: 'error', status: 500 });
  const other = await llm.chat({ model: 'a/a-chat', messages: hi });
  // c has no plain chat model listed first: c-embed is embeddings-only, c-vision chats.
  expect(other.model).toBe('c/c-vision');
  expect(other.attempts.map((x) => [x.provider, x.outcome])).toEqual([['a', 'failed'], ['b', 'failed'], ['c', 'ok']]);
});

test('images need vision: fallbacks without a vision model are skipped', async () => {
  const llm = make();
  a.script({ type: 'error', status: 503 });
  const res = await llm.chat({ model: 'a/a-chat', messages: [{ role: 'user', content: [{ type: 'image', image: PNG_DATA_URL }] }] });
  expect(res.model).toBe('c/c-vision');
  expect(res.attempts[1]).toMatchObject({ provider: 'b', outcome: 'skipped', reason: 'no model with chat+vision configured' });
  expect(b.requests).toHaveLength(0);
});

test('no model: the LLM_FALLBACK order; a bare provider name: its first fitting model', async () => {
  const llm = make('b,a');
  expect((await llm.chat({ messages: hi })).model).toBe('b/b-chat');
  expect((await llm.chat({ model: 'a', messages: hi })).model).toBe('a/a-chat');
  // Neither b nor a has an embedding model, and c is not in the order.
  await expect(llm.embed({ values: ['x'] })).rejects.toMatchObject({ kind: 'capability', status: 400 });
});

test('without LLM_FALLBACK only the requested provider is tried; without a model, configuration order', async () => {
  const llm = make('');
  a.script({ type: 'error', status: 500 });
  const err = await llm.chat({ model: 'a/a-chat', messages: hi }).catch((e) => e);
  expect(err).toBeInstanceOf(ProviderError);
  expect(err.attempts).toHaveLength(1);
  expect((await llm.chat({ messages: hi })).model).toBe('a/a-chat');
  expect((await llm.embed({ values: ['x'] })).model).toBe('c/c-embed');
});

test('fallback: false pins the provider', async () => {
  const llm = make();
  a.script({ type: 'error', status: 500 });
  const err = await llm.chat({ model: 'a/a-chat', messages: hi, fallback: false }).catch((e) => e);
  expect(err).toMatchObject({ kind: 'server', statusCode: 500, attempts: [{ provider: 'a', outcome: 'failed' }] });
  expect(b.requests).toHaveLength(0);
});

test('model ids may contain / and :', async () => {
  const llm = make();
  const res = await llm.chat({ model: 'b/meta-llama/Llama-3.1-8B:free', messages: hi });
  expect(res.model).toBe('b/meta-llama/Llama-3.1-8B:free');
  expect(b.requests[0]!.model).toBe('meta-llama/Llama-3.1-8B:free');
});

test('an unknown provider is a validation error', async () => {
  const llm = make();
  const err = await llm.chat({ model: 'nope/x', messages: hi }).catch((e) => e);
  expect(err).toMatchObject({ kind: 'capability', code: 'validation_error', status: 400 });
});

test('generate is chat sugar with an optional system prompt; cost only where priced', async () => {
  const llm = make();
  const res = await llm.generate({ model: 'a/shared', prompt: 'write a haiku', system: 'you are terse' });
  expect(a.requests[0]!.body.messages).toEqual([{ role: 'system', content: 'you are terse' }, { role: 'user', content: 'write a haiku' }]);
  expect(res.costUsd).toBeUndefined();
  const priced = await llm.generate({ model: 'a/a-chat', prompt: 'x' });
  expect(priced.costUsd).toBeCloseTo((12 * 5 + 3 * 15) / 1e6, 12);
});

test('a Retry-After beyond maxRetryAfterMs is not waited for: the call moves on at once', async () => {
  const llm = make('b', { a: { retry: { maxAttempts: 3, maxRetryAfterMs: 2000 } } });
  a.script({ type: 'error', status: 429, retryAfter: '120' });
  const started = Date.now();
  const res = await llm.chat({ model: 'a/a-chat', messages: hi });
  expect(res.model).toBe('b/b-chat');
  expect(a.requests).toHaveLength(1);
  expect(Date.now() - started).toBeLessThan(2000);
});

test('an HTTP-date Retry-After is honoured too', async () => {
  const llm = make('b', { a: { retry: { maxAttempts: 2 } } });
  a.script({ type: 'error', status: 503, retryAfter: new Date(Date.now() + 3000).toUTCString() }, { type: 'text', text: 'ok' });
  const res = await llm.chat({ model: 'a/a-chat', messages: hi });
  expect(res.model).toBe('a/a-chat');
  // HTTP dates have one-second resolution: the date is 2–3 s ahead, so well over 1.5 s must have passed.
  expect(a.requests[1]!.at - a.requests[0]!.at).toBeGreaterThanOrEqual(1500);
});

test('a silent provider times out, is retried, then falls through', async () => {
  const llm = make('b', { a: { timeoutMs: 200, retry: { maxAttempts: 2, baseDelayMs: 10 } } });
  a.script({ type: 'hang' }, { type: 'hang' });
  const res = await llm.chat({ model: 'a/a-chat', messages: hi });
  expect(res.model).toBe('b/b-chat');
  expect(res.attempts[0]).toMatchObject({ outcome: 'failed', requests: 2, reason: 'a: no answer for 200 ms' });
  await Promise.all(a.requests.map((r) => r.closed));
  expect(a.requests.every((r) => r.aborted)).toBe(true);
});

test('a stream that keeps delivering is not cut off by the idle timeout', async () => {
  const llm = make('', { a: { timeoutMs: 150 } });
  a.script({ type: 'text', text: 'abcdefghij', chunks: 5, delayMs: 60 });
  const res = await llm.chat({ model: 'a/a-chat', messages: hi, onDelta: () => undefined });
  expect(res.text).toBe('abcdefghij');
});

test('a throwing onDelta listener does not break the call', async () => {
  const llm = make('');
  const res = await llm.chat({ model: 'a/a-chat', messages: hi, onDelta: () => { throw new Error('listener bug'); } });
  expect(res.text).toBe('Hello from the fake provider.');
});

test('close() aborts calls in flight and is idempotent', async () => {
  const llm = make('');
  a.script({ type: 'hang' });
  const call = llm.chat({ model: 'a/a-chat', messages: hi }).catch((e) => e);
  await a.waitForRequests(1);
  await Promise.all([llm.close(), llm.close()]);
  expect(await call).toMatchObject({ name: 'AbortError' });
  await a.requests[0]!.closed;
});

test('availableModels lists configured models with capabilities and prices', () => {
  const llm = make();
  expect(llm.availableModels()).toEqual([
    { id: 'a/a-chat', provider: 'a', capabilities: ['chat'], prices: { inputPerMTok: 5, outputPerMTok: 15 } },
    { id: 'a/shared', provider: 'a', capabilities: ['chat'] },
    { id: 'b/b-chat', provider: 'b', capabilities: ['chat'], prices: { inputPerMTok: 0.1, outputPerMTok: 0.4 } },
    { id: 'b/shared', provider: 'b', capabilities: ['chat'] },
    { id: 'c/c-embed', provider: 'c', capabilities: ['embeddings'] },
    { id: 'c/c-vision', provider: 'c', capabilities: ['chat', 'vision'], prices: { inputPerMTok: 1, outputPerMTok: 1 } },
  ]);
});

test('selectModel: cheapest healthy model with the capability', async () => {
  const llm = make('b,c', { b: { circuit: { failureThreshold: 1, coolDownMs: 60_000 } } });
  expect((await llm.selectModel({ capability: 'chat', prefer: 'cheapest' }))?.id).toBe('b/b-chat');
  expect((await llm.selectModel({ capability: 'vision' }))?.id).toBe('c/c-vision');
  expect((await llm.selectModel({ capability: 'embeddings' }))?.id).toBe('c/c-embed');
  expect((await llm.selectModel({ capability: 'chat', prefer: 'first' }))?.id).toBe('a/a-chat');
  expect((await llm.selectModel({ capability: 'chat', providers: ['a'] }))?.id).toBe('a/a-chat');

  // b's circuit opens: the cheapest healthy chat model is now c's.
  b.script({ type: 'error', status: 500 });
  await llm.chat({ model: 'b/b-chat', messages: hi, fallback: false }).catch(() => undefined);
  expect((await llm.selectModel({ capability: 'chat' }))?.id).toBe('c/c-vision');
});

test('testIntegration: unknown name is NotFound; an explicit model is used', async () => {
  const llm = make();
  await expect(llm.testIntegration('zzz')).rejects.toMatchObject({ code: 'not_found' });
  const res = await llm.testIntegration('b', { model: 'b/shared', prompt: 'ping' });
  expect(res).toMatchObject({ success: true, model_used: 'b/shared' });
  expect(b.requests[0]!.body.messages).toEqual([{ role: 'user', content: 'ping' }]);
});

describe('retry timing', () => {
  const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

  test('exponential backoff with equal jitter, capped', () => {
    expect(retryDelay(1, policy, undefined, () => 0)).toBe(50);
    expect(retryDelay(1, policy, undefined, () => 1)).toBe(100);
    expect(retryDelay(3, policy, undefined, () => 0.5)).toBe(300);
    expect(retryDelay(10, policy, undefined, () => 1)).toBe(1000);
  });

  test('Retry-After is a floor, and beyond the cap means do not wait', () => {
    expect(retryDelay(1, policy, 2000, () => 0)).toBe(2000);
    expect(retryDelay(1, policy, 2000, () => 1)).toBe(2200);
    expect(retryDelay(1, policy, 6000, () => 0)).toBeUndefined();
  });

  test('parseRetryAfter reads seconds, HTTP dates and retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': '3' }, now)).toBe(3000);
    expect(parseRetryAfter({ 'Retry-After': '0.5' }, now)).toBe(500);
    expect(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }, now)).toBe(10_000);
    expect(parseRetryAfter({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }, now)).toBe(0);
    expect(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
