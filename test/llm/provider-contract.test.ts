/**
 * One contract, every provider type: the same cases run against openai,
 * anthropic, google, ollama and openai-compatible through each type's fake
 * server (real wire protocol), with real Redis behind circuits and limits.
 * Each case builds a fresh Llm on its own Redis prefix; a second
 * OpenAI-compatible fake ("backup") is the fallback provider.
 */
import type { Redis } from 'ioredis';
import { createLlm, parseLlmConfig, ProviderError, type Llm } from '../../llm';
import { startFakeLlmServers, startFakeOpenAI, type FakeLlmServer, type FakeLlmServers } from '../fakes/llm';
import { deferred, PNG_BASE64, PNG_DATA_URL, testRedis, waitFor } from './helpers';

const KEY = 'sk-contract-key-0001';

interface Case {
  type: 'openai' | 'anthropic' | 'google' | 'ollama' | 'openai-compatible';
  fake: (f: FakeLlmServers) => FakeLlmServer;
  model: string;
  embedModel?: string;
  /** The key reached the server in this type's auth header. */
  keyHeader: (h: Record<string, unknown>) => unknown;
  /** The image arrived in this type's request shape. */
  image: (body: any) => unknown;
}

const openaiImage = (body: any) =>
  body.messages[0].content.find((p: any) => p.type === 'image_url')?.image_url.url === PNG_DATA_URL;

const cases: Case[] = [
  { type: 'openai', fake: (f) => f.openai, model: 'gpt-4o-mini', embedModel: 'text-embedding-3-small', keyHeader: (h) => h.authorization === `Bearer ${KEY}`, image: openaiImage },
  {
    type: 'anthropic', fake: (f) => f.anthropic, model: 'claude-3-5-haiku-latest', keyHeader: (h) => h['x-api-key'] === KEY,
    image: (b) => b.messages[0].content.find((p: any) => p.type === 'image')?.source?.data === PNG_BASE64,
  },
  {
    type: 'google', fake: (f) => f.google, model: 'gemini-2.0-flash', embedModel: 'text-embedding-004', keyHeader: (h) => h['x-goog-api-key'] === KEY,
    image: (b) => b.contents[0].parts.find((p: any) => p.inlineData)?.inlineData?.data === PNG_BASE64,
  },
  {
    type: 'ollama', fake: (f) => f.ollama, model: 'llama3.2:1b', embedModel: 'nomic-embed-text', keyHeader: (h) => h.authorization === `Bearer ${KEY}`,
    image: (b) => b.messages[0].images?.[0] === PNG_BASE64,
  },
  { type: 'openai-compatible', fake: (f) => f.compatible, model: 'llamafarm-chat', embedModel: 'llamafarm-embed', keyHeader: (h) => h.authorization === `Bearer ${KEY}`, image: openaiImage },
];

let fakes: FakeLlmServers;
let backup: FakeLlmServer;
let redis: Redis;
let nextPrefix: () => string;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  backup = await startFakeOpenAI(['backup-chat']);
  ({ redis, prefix: nextPrefix } = testRedis('contract'));
});

afterAll(async () => {
  await fakes?.close();
  await backup?.close();
  await redis?.quit();
});

describe.each(cases)('$type provider contract', (c) => {
  let fake: FakeLlmServer;
  let llm: Llm;
  let prefix: string;

  function make(primary: Record<string, unknown> = {}): Llm {
    const config = parseLlmConfig({
      LLM_PROVIDERS: JSON.stringify([
        {
          name: 'primary', type: c.type, baseURL: fake.baseURL, apiKeyEnv: 'PRIMARY_KEY',
          models: [c.model, ...(c.embedModel ? [c.embedModel] : [])],
          modelCapabilities: { [c.model]: ['chat', 'vision'] },
          prices: { [c.model]: { inputPerMTok: 1, outputPerMTok: 2 } },
          retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40 },
          circuit: { failureThreshold: 3, coolDownMs: 300 },
          ...primary,
        },
        { name: 'backup', type: 'openai-compatible', baseURL: backup.baseURL, models: ['backup-chat'] },
      ]),
      LLM_FALLBACK: 'backup',
      PRIMARY_KEY: KEY,
    });
    prefix = nextPrefix();
    return createLlm({ config, redis, prefix });
  }

  const user = (content: string) => [{ role: 'user' as const, content }];

  beforeEach(() => {
    fake = c.fake(fakes);
    fake.reset();
    backup.reset();
    llm = make();
  });

  afterEach(async () => {
    await llm.close();
  });

  test('non-streaming chat returns text, usage, cost and the model used', async () => {
    fake.script({ type: 'text', text: 'Hello there, world', usage: { input: 7, output: 5 } });
    const res = await llm.chat({ model: `primary/${c.model}`, messages: user('hi') });
    expect(res).toMatchObject({
      text: 'Hello there, world', usage: { inputTokens: 7, outputTokens: 5 }, model: `primary/${c.model}`, finishReason: 'stop',
      attempts: [{ provider: 'primary', outcome: 'ok', requests: 1 }],
    });
    expect(res.costUsd).toBeCloseTo((7 * 1 + 5 * 2) / 1e6, 12);
    expect(res.latencyMs).toBeGreaterThanOrEqual(0);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ op: 'chat', stream: false, model: c.model });
    expect(c.keyHeader(fake.requests[0]!.headers)).toBe(true);
  });

  test('streaming chat passes deltas in order and reports usage', async () => {
    fake.script({ type: 'text', text: 'one two three four five', chunks: 5, delayMs: 5, usage: { input: 9, output: 5 } });
    const deltas: string[] = [];
    const res = await llm.chat({ model: `primary/${c.model}`, messages: user('count'), onDelta: (d) => deltas.push(d) });
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    expect(deltas.join('')).toBe('one two three four five');
    expect(res).toMatchObject({ text: 'one two three four five', usage: { inputTokens: 9, outputTokens: 5 }, model: `primary/${c.model}` });
    expect(fake.requests[0]).toMatchObject({ stream: true, model: c.model });
    if (c.type === 'openai' || c.type === 'openai-compatible') expect(fake.requests[0]!.body.stream_options).toEqual({ include_usage: true });
  });

  test('image input reaches the provider in its own request shape', async () => {
    const res = await llm.chat({
      model: `primary/${c.model}`,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image', image: PNG_DATA_URL, mediaType: 'image/png' }] }],
    });
    expect(res.model).toBe(`primary/${c.model}`);
    expect(c.image(fake.requests[0]!.body)).toBe(true);
  });

  test('429 is retried after Retry-After', async () => {
    fake.script({ type: 'error', status: 429, retryAfter: '1' }, { type: 'text', text: 'finally' });
    const res = await llm.chat({ model: `primary/${c.model}`, messages: user('hi'), onDelta: () => undefined });
    expect(res.text).toBe('finally');
    expect(res.attempts).toEqual([{ provider: 'primary', model: c.model, outcome: 'ok', requests: 2 }]);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(backup.requests).toHaveLength(0);
  });

  test('5xx after the last retry falls through to the next provider', async () => {
    fake.script({ type: 'error', status: 503 }, { type: 'error', status: 500 }, { type: 'error', status: 503 });
    backup.script({ type: 'text', text: 'from the backup' });
    const res = await llm.chat({ model: `primary/${c.model}`, messages: user('hi') });
    expect(res.text).toBe('from the backup');
    expect(res.model).toBe('backup/backup-chat');
    expect(res.attempts).toMatchObject([
      { provider: 'primary', outcome: 'failed', requests: 3 },
      { provider: 'backup', model: 'backup-chat', outcome: 'ok', requests: 1 },
    ]);
    expect(fake.requests).toHaveLength(3);
  });

  test('the circuit opens after repeated failures and closes after a successful probe', async () => {
    await llm.close();
    // A cool-down long enough that the open circuit is still open for the call right after
    // it opened, however busy the machine (300 ms was not, at load 15).
    llm = make({ retry: { maxAttempts: 1 }, circuit: { failureThreshold: 3, coolDownMs: 2000 } });
    const circuit = async () => (await llm.integrations()).find((i) => i.name === 'primary')!.circuit;

    for (let i = 0; i < 3; i++) {
      fake.script({ type: 'error', status: 500 });
      expect((await llm.chat({ model: `primary/${c.model}`, messages: user('hi') })).model).toBe('backup/backup-chat');
    }
    const chatsBefore = fake.requests.filter((r) => r.op === 'chat').length;
    expect(chatsBefore).toBe(3);
    expect(await circuit()).toBe('open');

    // Open: the provider is skipped without a request reaching it.
    const skipped = await llm.chat({ model: `primary/${c.model}`, messages: user('hi') });
    expect(skipped.model).toBe('backup/backup-chat');
    expect(skipped.attempts[0]).toMatchObject({ provider: 'primary', outcome: 'skipped', reason: 'circuit open', requests: 0 });
    expect(fake.requests.filter((r) => r.op === 'chat')).toHaveLength(chatsBefore);

    // After the cool-down one probe goes through; this one fails and re-opens the circuit.
    await waitFor('half-open', async () => (await circuit()) === 'half_open');
    fake.script({ type: 'error', status: 500 });
    expect((await llm.chat({ model: `primary/${c.model}`, messages: user('hi') })).model).toBe('backup/backup-chat');
    expect(fake.requests.filter((r) => r.op === 'chat')).toHaveLength(chatsBefore + 1);
    expect(await circuit()).toBe('open');

    // Next probe succeeds: closed again, traffic back on the primary.
    await waitFor('half-open again', async () => (await circuit()) === 'half_open');
    fake.script({ type: 'text', text: 'recovered' });
    const probe = await llm.chat({ model: `primary/${c.model}`, messages: user('hi') });
    expect(probe).toMatchObject({ text: 'recovered', model: `primary/${c.model}` });
    expect(await circuit()).toBe('closed');
    expect((await llm.chat({ model: `primary/${c.model}`, messages: user('hi') })).model).toBe(`primary/${c.model}`);
  });

  test('abort mid-stream rejects promptly, closes the connection, and is not retried', async () => {
    fake.script({ type: 'hang', text: 'abcdefghijkl', afterChunks: 2 });
    const ac = new AbortController();
    const firstDelta = deferred();
    const call = llm.chat({ model: `primary/${c.model}`, messages: user('hi'), signal: ac.signal, onDelta: () => firstDelta.resolve() });
    await firstDelta.promise;
    const abortedAt = Date.now();
    ac.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    await fake.requests[0]!.closed;
    expect(fake.requests[0]!.aborted).toBe(true);
    expect(fake.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(0);
    // Not a provider failure: nothing was counted against the circuit.
    expect(await redis.hget(`${prefix}:llm:primary:circuit`, 'failures')).toBeNull();
  });

  test('abort while waiting for a non-streaming answer cancels the request', async () => {
    fake.script({ type: 'hang' });
    const ac = new AbortController();
    const call = llm.chat({ model: `primary/${c.model}`, messages: user('hi'), signal: ac.signal });
    const [req] = await fake.waitForRequests(1);
    ac.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    await req!.closed;
    expect(req!.aborted).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  test('a stream that breaks after text was delivered fails without retry or fallback', async () => {
    fake.script({ type: 'stream-error', text: 'abcdefgh', afterChunks: 2, message: 'boom' });
    const deltas: string[] = [];
    const err = await llm.chat({ model: `primary/${c.model}`, messages: user('hi'), onDelta: (d) => deltas.push(d) }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'stream', streamed: true, provider: 'primary' });
    expect(deltas.join('')).toBe('abcdef');
    expect(fake.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(0);
  });

  test('embeddings, or a capability error where the type has none', async () => {
    if (!c.embedModel) {
      const err = await llm.embed({ model: 'primary', values: ['a'], fallback: false }).catch((e) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ kind: 'capability', code: 'validation_error', status: 400 });
      expect(fake.requests).toHaveLength(0);
      return;
    }
    const res = await llm.embed({ model: `primary/${c.embedModel}`, values: ['alpha', 'beta gamma'] });
    expect(res.model).toBe(`primary/${c.embedModel}`);
    expect(res.embeddings).toHaveLength(2);
    expect(res.embeddings[0]).toHaveLength(8);
    expect(res.embeddings[0]).not.toEqual(res.embeddings[1]);
    expect(fake.requests[0]).toMatchObject({ op: 'embed', model: c.embedModel });
    // `primary` alone picks its first embedding-capable model.
    expect((await llm.embed({ model: 'primary', values: ['x'] })).model).toBe(`primary/${c.embedModel}`);
  });

  test('integrations report health and model count; testIntegration answers', async () => {
    const list = await llm.integrations();
    expect(list.find((i) => i.name === 'primary')).toMatchObject({ type: c.type, health: 'ok', modelCount: fake.models.length, circuit: 'closed' });
    fake.script({ type: 'text', text: 'pong' });
    const ok = await llm.testIntegration('primary');
    expect(ok).toMatchObject({ success: true, response: 'pong', model_used: `primary/${c.model}` });
    fake.script({ type: 'error', status: 500 });
    const bad = await llm.testIntegration('primary');
    expect(bad).toMatchObject({ success: false });
    expect(bad.success === false && bad.error).toContain('primary');
  });
});
