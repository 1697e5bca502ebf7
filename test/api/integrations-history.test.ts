/**
 * Integration test history and test-all over HTTP: each test is stored with its
 * caller, GET …/:id/tests returns them newest first with a latency summary, and
 * test-all answers for every provider at once (one fake up, one on a closed port).
 */
import { startFakeOpenAI, type FakeLlmServer } from '../fakes/llm';
import { startTestSystem, type TestSystem } from '../helpers/system';

let up: FakeLlmServer;
let t: TestSystem;

beforeAll(async () => {
  up = await startFakeOpenAI(['up-chat']);
  // A port that was just open and is now closed: connection refused.
  const gone = await startFakeOpenAI(['down-chat']);
  const downURL = gone.baseURL;
  await gone.close();
  t = await startTestSystem({
    PADDOCK_ROLE: 'api',
    LLM_PROVIDERS: JSON.stringify([
      { name: 'up', type: 'openai-compatible', baseURL: up.baseURL, models: ['up-chat'] },
      { name: 'down', type: 'openai-compatible', baseURL: downURL, models: ['down-chat'], retry: { maxAttempts: 1 } },
    ]),
    LLM_BALANCE: JSON.stringify({ pair: { strategy: 'round_robin', targets: ['down/down-chat', 'up/up-chat'] } }),
  });
});

afterAll(async () => {
  await t?.close();
  await up?.close();
});

test('every test is stored; the history is newest first, shared by all users, with a summary', async () => {
  up.script({ type: 'text', text: 'pong', delayMs: 30 }, { type: 'error', status: 400, message: 'no such model' }, { type: 'text', text: 'pong' });
  expect((await t.call('POST', '/v1/integrations/test', { body: { integration_id: 'up' }, as: 'alice' })).body.success).toBe(true);
  const bad = await t.call('POST', '/v1/integrations/test', { body: { integration_id: 'up', model: 'up/nope' }, as: 'bob' });
  expect(bad.body.success).toBe(false);
  expect((await t.call('POST', '/v1/integrations/test', { body: { integration_id: 'up' }, as: 'carol' })).body.success).toBe(true);

  // Another user sees all three: integrations are shared configuration.
  const res = await t.call('GET', '/v1/integrations/up/tests', { as: 'dave' });
  expect(res.status).toBe(200);
  const { items, summary } = res.body;
  expect(items.map((i: any) => [i.by, i.success, i.model])).toEqual([
    ['carol', true, 'up/up-chat'], ['bob', false, 'up/nope'], ['alice', true, 'up/up-chat'],
  ]);
  expect(items[1].error).toEqual(expect.any(String));
  expect(items[0].error).toBeUndefined();
  for (const i of items) expect(i).toMatchObject({ latency_ms: expect.any(Number), at: expect.any(String) });
  expect(Date.parse(items[0].at)).toBeGreaterThanOrEqual(Date.parse(items[2].at));
  const okLatencies = items.filter((i: any) => i.success).map((i: any) => i.latency_ms).sort((x: number, y: number) => x - y);
  expect(summary).toEqual({ count: 3, success_rate: 2 / 3, p50_latency_ms: okLatencies[0], p95_latency_ms: okLatencies[1] });

  // limit and since narrow the window; the summary follows it.
  const one = await t.call('GET', '/v1/integrations/up/tests?limit=1');
  expect(one.body.items.map((i: any) => i.by)).toEqual(['carol']);
  expect(one.body.summary.count).toBe(1);
  const later = await t.call('GET', `/v1/integrations/up/tests?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
  expect(later.body).toEqual({ items: [], summary: { count: 0, success_rate: null, p50_latency_ms: null, p95_latency_ms: null } });

  expect((await t.call('GET', '/v1/integrations/nope/tests')).status).toBe(404);
  expect((await t.call('GET', '/v1/integrations/up/tests?limit=0')).status).toBe(400);
  expect((await t.call('GET', '/v1/integrations/up/tests?since=yesterday')).status).toBe(400);
});

test('test-all answers for every provider at once and stores each result', async () => {
  up.script({ type: 'text', text: 'all good' });
  const res = await t.call('POST', '/v1/integrations/test-all', { body: { prompt: 'ping' }, as: 'erin' });
  expect(res.status).toBe(200);
  const byId = Object.fromEntries(res.body.items.map((i: any) => [i.integration_id, i]));
  expect(byId.up).toEqual({ integration_id: 'up', success: true, response: 'all good', latency_ms: expect.any(Number), model_used: 'up/up-chat' });
  expect(byId.down).toEqual({ integration_id: 'down', success: false, error: expect.any(String), latency_ms: expect.any(Number) });
  expect(up.requests.at(-1)!.body.messages.at(-1).content).toBe('ping');

  const down = await t.call('GET', '/v1/integrations/down/tests');
  expect(down.body.items).toEqual([expect.objectContaining({ by: 'erin', success: false, model: '' })]);
  expect(down.body.summary).toMatchObject({ count: 1, success_rate: 0, p50_latency_ms: null });
  const upHistory = await t.call('GET', '/v1/integrations/up/tests?limit=1');
  expect(upHistory.body.items[0]).toMatchObject({ by: 'erin', success: true, model: 'up/up-chat' });

  expect((await t.call('POST', '/v1/integrations/test-all', { body: { extra: 1 } })).status).toBe(400);
});

test('a balanced model works over HTTP: the picked target first, the other as its fallback', async () => {
  const first = await t.call('POST', '/v1/execute', { body: { intent: 'how are you?', model: 'balance/pair' } });
  expect(first.status).toBe(200);
  // Turn 1 picks "down" (refused), so "up" answers; turn 2 picks "up" itself.
  expect(first.body.result.model).toBe('up/up-chat');
  const second = await t.call('POST', '/v1/execute', { body: { intent: 'how are you?', model: 'balance/pair' } });
  expect(second.body.result.model).toBe('up/up-chat');
  const unknown = await t.call('POST', '/v1/execute', { body: { intent: 'how are you?', model: 'balance/nope' } });
  expect(unknown.status).toBe(400);
  expect(unknown.body.error.message).toContain('balance/pair');
});
