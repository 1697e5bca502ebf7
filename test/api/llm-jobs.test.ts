import { Writable } from 'node:stream';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { signToken } from '../../api/auth';
import { loadConfig } from '../../core/config';
import { startSystem } from '../../scripts/system';
import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
import { readSse } from '../helpers/sse';
import { isDone, testClient, testEnv, type TestSystem } from '../helpers/system';

/**
 * The LLM endpoints and the compare / consensus jobs end to end: API → queue →
 * worker → provider chain → fake provider servers (real wire protocols) → events.
 */
const SECRET = 'sk-test-SECRET-4f1c9a7e';
let fakes: FakeLlmServers;
let t: TestSystem;
let logs = '';

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  // Also in process.env, so a leak through the worker's own environment would show.
  process.env.PADDOCK_TEST_OPENAI_KEY = SECRET;
  const providers = [
    { name: 'openai', type: 'openai', baseURL: fakes.openai.baseURL, apiKeyEnv: 'PADDOCK_TEST_OPENAI_KEY',
      models: ['gpt-test', 'embed-test'], modelCapabilities: { 'embed-test': ['embeddings'] },
      prices: { 'gpt-test': { inputPerMTok: 5, outputPerMTok: 15 } } },
    { name: 'anthropic', type: 'anthropic', baseURL: fakes.anthropic.baseURL, apiKeyEnv: 'PADDOCK_TEST_OPENAI_KEY',
      models: ['claude-test'], prices: { 'claude-test': { inputPerMTok: 1, outputPerMTok: 2 } } },
    { name: 'llamafarm', type: 'openai-compatible', baseURL: fakes.compatible.baseURL, models: ['llamafarm-chat'] },
    { name: 'ollama', type: 'ollama', baseURL: fakes.ollama.url, models: ['llama-test'] },
  ];
  const env = testEnv({
    LLM_PROVIDERS: JSON.stringify(providers),
    LLM_FALLBACK: 'llamafarm,ollama',
    PADDOCK_TEST_OPENAI_KEY: SECRET,
    LOG_LEVEL: 'debug',
  });
  const config = loadConfig(env);
  const sink = new Writable({ write: (chunk, _enc, done) => ((logs += chunk.toString()), done()) });
  const system = await startSystem(config, pino({ level: 'debug' }, sink));
  t = testClient(system.api!.url, config, system, (sub, role = 'user') => signToken({ secret: config.JWT_SECRET }, { sub, role }));
});

afterAll(async () => {
  delete process.env.PADDOCK_TEST_OPENAI_KEY;
  await t?.close();
  await fakes?.close();
});

beforeEach(() => {
  for (const f of [fakes.openai, fakes.anthropic, fakes.google, fakes.ollama, fakes.compatible]) f.reset();
});

describe('integrations', () => {
  it('lists providers with health, latency, model count and circuit state', async () => {
    const res = await t.call('GET', '/v1/integrations');
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.items.map((i: any) => [i.name, i]));
    expect(Object.keys(byName).sort()).toEqual(['anthropic', 'llamafarm', 'ollama', 'openai']);
    for (const i of res.body.items) {
      expect(i).toMatchObject({ health: 'ok', circuit: 'closed', latencyMs: expect.any(Number) });
      expect(i.modelCount).toBeGreaterThan(0);
    }
    expect(byName.ollama.type).toBe('ollama');
  });

  it('tests one integration: success with the model used, failure with the error, 404 for unknown', async () => {
    fakes.anthropic.script({ type: 'text', text: 'pong' });
    const good = await t.call('POST', '/v1/integrations/test', { body: { integration_id: 'anthropic', prompt: 'ping' } });
    expect(good.body).toEqual({ success: true, response: 'pong', latency_ms: expect.any(Number), model_used: 'anthropic/claude-test' });

    fakes.compatible.script({ type: 'error', status: 400, message: 'bad model' });
    const bad = await t.call('POST', '/v1/integrations/test', { body: { integration_id: 'llamafarm' } });
    expect(bad.status).toBe(200);
    expect(bad.body).toEqual({ success: false, error: expect.any(String), latency_ms: expect.any(Number) });

    const missing = await t.call('POST', '/v1/integrations/test', { body: { integration_id: 'nope' } });
    expect(missing.status).toBe(404);
  });

  it('lists available models across providers', async () => {
    const res = await t.call('GET', '/v1/models/available');
    const ids = res.body.items.map((m: any) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['openai/gpt-test', 'openai/embed-test', 'anthropic/claude-test', 'ollama/llama-test']));
    expect(res.body.items.find((m: any) => m.id === 'openai/embed-test').capabilities).toEqual(['embeddings']);
  });
});

describe('compare and consensus jobs', () => {
  it('compares two models side by side, streaming both answers over SSE', async () => {
    fakes.openai.script({ type: 'text', text: 'Paris is the capital of France.', chunks: 4, usage: { input: 10, output: 8 } });
    fakes.anthropic.script({ type: 'text', text: 'The capital of France is Paris.', chunks: 3, usage: { input: 12, output: 7 } });
    const created = await t.call('POST', '/v1/runs', {
      body: { kind: 'compare', prompt: 'What is the capital of France?', models: ['openai/gpt-test', 'anthropic/claude-test'] },
    });
    expect(created.status).toBe(202);
    const headers = { authorization: `Bearer ${await t.token('alice')}` };
    const stream = await readSse(`${t.url}/v1/runs/${created.body.id}/events`, { headers });
    const tokens = stream.events.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data));
    const textOf = (tag: string) => tokens.filter((d) => d.model === tag).map((d) => d.delta).join('');
    expect(textOf('0:openai/gpt-test')).toBe('Paris is the capital of France.');
    expect(textOf('1:anthropic/claude-test')).toBe('The capital of France is Paris.');
    expect(stream.events.filter((e) => e.event === 'step')).toHaveLength(2);
    expect(stream.events.at(-1)!.event).toBe('end');

    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('succeeded');
    const [a, b] = run.result.answers;
    expect(a).toMatchObject({ requested: 'openai/gpt-test', model: 'openai/gpt-test', text: 'Paris is the capital of France.', usage: { inputTokens: 10, outputTokens: 8 } });
    expect(a.costUsd).toBeCloseTo((10 * 5 + 8 * 15) / 1e6, 12);
    expect(b).toMatchObject({ model: 'anthropic/claude-test', usage: { inputTokens: 12, outputTokens: 7 } });
    expect(a.latencyMs).toEqual(expect.any(Number));
    expect(run.result.totals).toMatchObject({ inputTokens: 22, outputTokens: 15 });
  });

  it('records the model actually used when a provider fails over, and "auto" picks the cheapest priced model', async () => {
    fakes.openai.script(
      { type: 'error', status: 503, message: 'overloaded' },
      { type: 'error', status: 503, message: 'overloaded' },
      { type: 'error', status: 503, message: 'overloaded' },
    );
    fakes.compatible.script({ type: 'text', text: 'from the fallback' });
    fakes.anthropic.script({ type: 'text', text: 'from the cheapest' });
    const created = await t.call('POST', '/v1/runs', {
      body: { kind: 'compare', prompt: 'hi', models: ['openai/gpt-test', 'auto'] },
    });
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('succeeded');
    expect(run.result.answers[0]).toMatchObject({ requested: 'openai/gpt-test', model: 'llamafarm/llamafarm-chat', text: 'from the fallback' });
    expect(run.result.answers[1]).toMatchObject({ requested: 'auto', model: 'anthropic/claude-test', text: 'from the cheapest' });
  });

  it('builds a consensus: the answers, a judge synthesis and an agreement measure', async () => {
    fakes.openai.script({ type: 'text', text: 'water boils at 100 degrees celsius' });
    fakes.ollama.script({ type: 'text', text: 'water boils at 100 degrees celsius at sea level' });
    fakes.anthropic.script({ type: 'text', text: 'At sea level, water boils at 100 °C.' });
    const created = await t.call('POST', '/v1/runs', {
      body: { kind: 'consensus', prompt: 'At what temperature does water boil?', models: ['openai/gpt-test', 'ollama/llama-test'], judge: 'anthropic/claude-test' },
    });
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('succeeded');
    expect(run.result.judge).toMatchObject({ model: 'anthropic/claude-test', text: 'At sea level, water boils at 100 °C.' });
    expect(run.result.agreement).toBeCloseTo(6 / 8, 3); // 6 shared words of 8 distinct
    const judgeRequest = fakes.anthropic.requests.find((r) => r.op === 'chat')!;
    expect(JSON.stringify(judgeRequest.body)).toContain('water boils at 100 degrees celsius at sea level');
  });

  it('rejects unknown providers and missing fields with 400', async () => {
    const unknown = await t.call('POST', '/v1/runs', { body: { kind: 'compare', prompt: 'x', models: ['nope/m', 'openai/gpt-test'] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].path).toEqual(['models', 0]);
    const noModels = await t.call('POST', '/v1/runs', { body: { kind: 'compare', prompt: 'x' } });
    expect(noModels.body.error.details.map((d: any) => d.path)).toContainEqual(['models']);
  });
});

describe('POST /v1/execute routes by intent', () => {
  it.each([
    ['summarize this for me', 'summarize', 'summarize-words'],
    ['write a haiku about queues', 'generate', 'generate-words'],
    ['how are you?', 'chat', 'default'],
  ])('%s → %s', async (intent, capability, rule) => {
    fakes.compatible.script({ type: 'text', text: `answer for ${capability}` });
    const res = await t.call('POST', '/v1/execute', { body: { intent, input: 'Some text.' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ capability, rule, result: { text: `answer for ${capability}`, model: 'llamafarm/llamafarm-chat' } });
  });

  it('embeds through the chain', async () => {
    const res = await t.call('POST', '/v1/execute', { body: { intent: 'embed these', values: ['a', 'b'], model: 'openai/embed-test' } });
    expect(res.status).toBe(200);
    expect(res.body.capability).toBe('embeddings');
    expect(res.body.result.embeddings).toHaveLength(2);
    expect(res.body.result.model).toBe('openai/embed-test');
  });

  it('queues a code run when code is given', async () => {
    const res = await t.call('POST', '/v1/execute', { body: { intent: 'run this', language: 'python', code: 'print(2+2)' } });
    expect(res.status).toBe(202);
    expect(res.body.capability).toBe('code_run');
    const run = await t.waitFor(res.body.run.id, isDone);
    expect(run.result.stdout).toBe('4\n');
  });
});

describe('API keys never leak', () => {
  it('is absent from run documents, stored events, Bull Board, logs and the sandbox', async () => {
    fakes.openai.script({ type: 'error', status: 401, message: `invalid key ${SECRET}` });
    const compare = await t.call('POST', '/v1/runs', { body: { kind: 'compare', prompt: 'x', models: ['openai/gpt-test', 'anthropic/claude-test'] } });
    await t.waitFor(compare.body.id, isDone);
    const code = await t.call('POST', '/v1/runs', {
      body: { language: 'bash', code: 'env; cat /proc/1/environ /proc/self/environ 2>/dev/null | tr "\\0" "\\n"; echo done' },
    });
    const codeRun = await t.waitFor(code.body.id, isDone);
    expect(codeRun.result.stdout).toContain('done');

    const places: Record<string, string> = {
      'run documents (API)': JSON.stringify([await t.call('GET', `/v1/runs/${compare.body.id}`), codeRun]),
      logs,
    };
    const mongo = new MongoClient(t.system.mongoUrl);
    try {
      const db = mongo.db(t.config.MONGO_DB);
      places['MongoDB runs'] = JSON.stringify(await db.collection('runs').find().toArray());
      places['MongoDB events'] = JSON.stringify(await db.collection('run_events').find().toArray());
    } finally {
      await mongo.close();
    }
    const admin = { authorization: `Bearer ${await t.token('root', 'admin')}` };
    const board = await fetch(`${t.url}/admin/queues/api/queues?activeQueue=runs&status=completed&page=1`, { headers: admin });
    places['Bull Board'] = await board.text();
    expect(places['Bull Board']).toContain(compare.body.id); // the board did show the jobs
    expect(logs.length).toBeGreaterThan(0);
    for (const [where, text] of Object.entries(places)) {
      expect({ where, leaked: text.includes(SECRET) }).toEqual({ where, leaked: false });
    }
  });
});
