/**
 * The API key must never appear in a log line, an error message or a
 * serialised error — whatever goes wrong, including a server that echoes it.
 */
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import pino from 'pino';
import type { Redis } from 'ioredis';
import { createLlm, parseLlmConfig, type Llm } from '../../llm';
import { startFakeLlmServers, type FakeLlmServer, type FakeLlmServers } from '../fakes/llm';
import { testRedis } from './helpers';

const KEY = 'sk-test-SECRET-123';

let fakes: FakeLlmServers;
let redis: Redis;
let nextPrefix: () => string;
let llm: Llm;
let logs: string;
const errors: unknown[] = [];

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  ({ redis, prefix: nextPrefix } = testRedis('secrets'));
});

afterAll(async () => {
  await llm?.close();
  await fakes?.close();
  await redis?.quit();
});

function bufferLogger(): pino.Logger {
  logs = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs += chunk.toString();
      cb();
    },
  });
  return pino({ level: 'trace' }, sink);
}

const types = [
  ['openai', (f: FakeLlmServers) => f.openai, 'gpt-4o-mini'],
  ['anthropic', (f: FakeLlmServers) => f.anthropic, 'claude-3-5-haiku-latest'],
  ['google', (f: FakeLlmServers) => f.google, 'gemini-2.0-flash'],
  ['ollama', (f: FakeLlmServers) => f.ollama, 'llama3.2:1b'],
  ['openai-compatible', (f: FakeLlmServers) => f.compatible, 'llamafarm-chat'],
] as const;

test('the key never appears in logs or errors, however calls fail', async () => {
  const log = bufferLogger();
  const config = parseLlmConfig({
    LLM_PROVIDERS: JSON.stringify(types.map(([type, fake, model]) => ({
      name: type, type, baseURL: fake(fakes).baseURL, apiKeyEnv: 'THE_KEY', models: [model],
      timeoutMs: 300, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 1000 },
      circuit: { failureThreshold: 50, coolDownMs: 60000 },
    }))),
    THE_KEY: KEY,
  });
  // Someone logging the whole config must not leak it either.
  log.info({ config }, 'llm config');
  llm = createLlm({ config, redis, log, prefix: nextPrefix() });

  const capture = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      errors.push(err);
      log.error({ err }, 'call failed'); // what a careless caller would do
    }
  };

  for (const [type, pick, model] of types) {
    const fake: FakeLlmServer = pick(fakes);
    const chat = (extra: Record<string, unknown> = {}) =>
      llm.chat({ model: `${type}/${model}`, messages: [{ role: 'user', content: 'hi' }], fallback: false, ...extra });

    fake.script(
      { type: 'error', status: 401, message: `Incorrect API key provided: ${KEY}` },
      { type: 'error', status: 429, retryAfter: '3600', message: `slow down, ${KEY}` },
      { type: 'error', status: 500, message: `internal error for key ${KEY}` },
      { type: 'error', status: 500, message: `internal error for key ${KEY}` },
      { type: 'error', status: 503 },
      { type: 'drop' },
      { type: 'drop' },
      { type: 'drop' },
      { type: 'stream-error', afterChunks: 1, message: `stream died (${KEY})` },
      { type: 'hang' },
      { type: 'hang' },
    );
    await capture(chat()); // 401 echoing the key
    await capture(chat()); // 429, Retry-After over the cap
    await capture(chat()); // 500 twice
    await capture(chat({ onDelta: () => undefined })); // 503, then a dropped connection
    await capture(chat()); // dropped connection, twice
    await capture(chat({ onDelta: () => undefined })); // broken mid-stream
    await capture(chat()); // timeouts
    const ac = new AbortController();
    fake.script({ type: 'hang' });
    const aborted = chat({ signal: ac.signal, onDelta: () => undefined });
    await fake.waitForRequests(fake.requests.length + 1);
    ac.abort();
    await capture(aborted);
    if (type !== 'anthropic') fake.script({ type: 'error', status: 403, message: `forbidden: ${KEY}` });
    await capture(llm.embed({ model: `${type}/${model}`, values: ['x'], fallback: false }));
    fake.script({ type: 'error', status: 500, message: `bad ${KEY}` });
    const tested = await llm.testIntegration(type);
    errors.push(tested);

    // The key did go out, in each type's own header — so the absence below means something.
    const sent = fake.requests.some((r) => Object.values(r.headers).some((v) => String(v).includes(KEY)));
    expect(sent).toBe(true);
  }

  // Health checks against dead servers.
  const dead = createLlm({
    config: parseLlmConfig({
      LLM_PROVIDERS: JSON.stringify(types.map(([type]) => ({ name: type, type, baseURL: 'http://127.0.0.1:9/v1', apiKeyEnv: 'THE_KEY', models: ['m'] }))),
      THE_KEY: KEY,
    }),
    redis, log, prefix: nextPrefix(),
  });
  const health = await dead.integrations();
  errors.push(health);
  expect(health.every((h) => h.health === 'down')).toBe(true);
  await dead.close();

  // A key typed into apiKeyEnv by mistake is not echoed by the config error.
  try {
    parseLlmConfig({ LLM_PROVIDERS: JSON.stringify([{ name: 'x', type: 'openai', apiKeyEnv: KEY }]) });
  } catch (err) {
    errors.push(err);
  }

  expect(errors.length).toBeGreaterThan(40);
  expect(logs.length).toBeGreaterThan(1000);
  expect(logs).not.toContain(KEY);
  // The echoing server's messages did reach us — scrubbed.
  expect(logs).toContain('[redacted]');
  if (process.env.SHOW_LLM_ERRORS) console.log(errors.map((e) => (e instanceof Error ? e.message : JSON.stringify(e))).join('\n'));
  for (const err of errors) {
    const shown = [
      err instanceof Error ? `${err.message}\n${err.stack}` : '',
      JSON.stringify(err, Object.getOwnPropertyNames(err ?? {})),
      inspect(err, { depth: 20, showHidden: true }),
    ].join('\n');
    expect(shown).not.toContain(KEY);
  }
});
