import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
import { readSse, type SseEvent } from '../helpers/sse';
import { startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Experiments end to end: API → `experiments` queue → worker → LLM layer → the
 * fake provider servers (real wire protocols) → stored messages and events.
 */
let fakes: FakeLlmServers;
let t: TestSystem;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await startTestSystem({
    LLM_PROVIDERS: JSON.stringify([
      { name: 'openai', type: 'openai', baseURL: fakes.openai.baseURL, apiKeyEnv: 'PADDOCK_TEST_EXP_KEY', models: ['gpt-test'],
        prices: { 'gpt-test': { inputPerMTok: 5, outputPerMTok: 15 } } },
      { name: 'anthropic', type: 'anthropic', baseURL: fakes.anthropic.baseURL, apiKeyEnv: 'PADDOCK_TEST_EXP_KEY', models: ['claude-test'] },
      { name: 'ollama', type: 'ollama', baseURL: fakes.ollama.url, models: ['llama-test'] },
    ]),
    PADDOCK_TEST_EXP_KEY: 'sk-test-experiments',
  });
});

afterAll(async () => {
  await t?.close();
  await fakes?.close();
});

beforeEach(() => {
  for (const f of [fakes.openai, fakes.anthropic, fakes.ollama]) f.reset();
});

const AGENTS = [
  { name: 'Ada', model: 'openai/gpt-test', systemPrompt: 'You are an optimist.', color: '#e11d48' },
  { name: 'Bo', model: 'anthropic/claude-test', systemPrompt: 'You are a sceptic.' },
  { name: 'Cy', model: 'ollama/llama-test', systemPrompt: 'You are a mediator.', temperature: 0.2 },
];
const task = { prompt: 'Should the team adopt a four-day week?' };
const auth = async (sub = 'alice') => ({ authorization: `Bearer ${await t.token(sub)}` });
const data = (e: SseEvent) => JSON.parse(e.data);
const chats = () => [fakes.openai, fakes.anthropic, fakes.ollama].flatMap((f) => f.requests.filter((r) => r.op === 'chat'));

/** The `end` event precedes the terminal document (events reach MongoDB first): poll for it. */
async function ended(id: string, as = 'alice') {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await t.call('GET', `/v1/experiments/${id}`, { as });
    if (!['queued', 'running'].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`experiment ${id} did not end: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function runToEnd(body: unknown) {
  const created = await t.call('POST', '/v1/experiments', { body });
  expect(created.status).toBe(202);
  const stream = await readSse(`${t.url}/v1/experiments/${created.body.id}/events`, { headers: await auth() });
  return { id: created.body.id as string, events: stream.events, exp: await ended(created.body.id) };
}

describe('experiments', () => {
  it('three agents, four rounds: 12 messages stored in order, streamed as tokens and messages, with totals', async () => {
    fakes.openai.script(...[1, 2, 3, 4].map((i) => ({ type: 'text' as const, text: `Ada says ${i}.`, usage: { input: 100, output: 10 } })));
    fakes.anthropic.script(...[1, 2, 3, 4].map((i) => ({ type: 'text' as const, text: `Bo says ${i}.` })));
    fakes.ollama.script(...[1, 2, 3, 4].map((i) => ({ type: 'text' as const, text: `Cy says ${i}.` })));
    const { id, events, exp } = await runToEnd({ name: 'four-day week', task, agents: AGENTS, rounds: 4 });

    expect(exp.status).toBe('succeeded');
    const messages = events.filter((e) => e.event === 'message').map(data);
    expect(messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(messages.map((m) => m.agent)).toEqual(['Ada', 'Bo', 'Cy', 'Ada', 'Bo', 'Cy', 'Ada', 'Bo', 'Cy', 'Ada', 'Bo', 'Cy']);
    expect(messages.map((m) => m.content).slice(0, 4)).toEqual(['Ada says 1.', 'Bo says 1.', 'Cy says 1.', 'Ada says 2.']);
    expect(messages.map((m) => m.round)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    // Token deltas reassemble each message.
    for (const m of messages) {
      const text = events.filter((e) => e.event === 'token' && data(e).seq === m.seq).map((e) => data(e).delta).join('');
      expect(text).toBe(m.content);
    }
    expect(events.map((e) => e.event).at(-1)).toBe('end');
    expect(chats()).toHaveLength(12);

    const conversation = await t.call('GET', `/v1/experiments/${id}/conversations/1`);
    expect(conversation.status).toBe(200);
    expect(conversation.body.messages).toHaveLength(12);
    expect(conversation.body.messages[0]).toMatchObject({
      iteration: 1, seq: 1, round: 1, turn: 0, agent: 'Ada', model: 'openai/gpt-test', content: 'Ada says 1.',
      usage: { inputTokens: 100, outputTokens: 10 }, latencyMs: expect.any(Number),
    });
    expect(conversation.body.messages[0].costUsd).toBeCloseTo((100 * 5 + 10 * 15) / 1e6, 12);
    expect(conversation.body.messages[1].model).toBe('anthropic/claude-test');
    expect(conversation.body.termination).toEqual({ reason: 'rounds', detail: '4 rounds' });

    // Each agent sees the others' turns as named user lines and its own as assistant turns.
    const boSecond = fakes.anthropic.requests.filter((r) => r.op === 'chat')[1]!;
    const sent = JSON.stringify(boSecond.body.messages);
    expect(sent).toContain('Ada: Ada says 1.');
    expect(sent).toContain('Cy: Cy says 1.');
    expect(boSecond.body.messages.some((m: any) => m.role === 'assistant' && JSON.stringify(m.content).includes('Bo says 1.'))).toBe(true);

    expect(exp.iterations).toHaveLength(1);
    expect(exp.iterations[0]).toMatchObject({ iteration: 1, status: 'completed', messages: 12 });
    expect(exp.totals.messages).toBe(12);
    expect(exp.totals.tokens).toBe(exp.totals.inputTokens + exp.totals.outputTokens);
    expect(exp.totals.inputTokens).toBeGreaterThanOrEqual(400);
    expect(exp.totals.costUsd).toBeCloseTo(4 * (100 * 5 + 10 * 15) / 1e6, 12);
    expect(exp.totals.wallMs).toEqual(expect.any(Number));
  });

  it('stops at its keyword, records the reason, and asks no further model', async () => {
    fakes.openai.script({ type: 'text', text: 'I propose Fridays off.' });
    fakes.anthropic.script({ type: 'text', text: 'Fine by me: AGREED.' });
    const { exp, events } = await runToEnd({ task, agents: AGENTS, rounds: 4, termination: { keyword: 'agreed' } });
    expect(exp.status).toBe('succeeded');
    expect(exp.iterations[0].termination).toEqual({ reason: 'keyword', detail: 'Bo said "agreed"' });
    expect(events.filter((e) => e.event === 'message')).toHaveLength(2);
    expect(chats()).toHaveLength(2);
  });

  it('honours maxMessages and tokenBudget, and runs comparable iterations', async () => {
    const byMessages = await runToEnd({ task, agents: AGENTS, rounds: 4, iterations: 2, termination: { maxMessages: 2 } });
    expect(byMessages.exp.status).toBe('succeeded');
    expect(byMessages.exp.iterations.map((it: any) => [it.iteration, it.messages, it.termination.reason])).toEqual([
      [1, 2, 'max_messages'],
      [2, 2, 'max_messages'],
    ]);
    for (const it of byMessages.exp.iterations) {
      expect(it).toMatchObject({ status: 'completed', tokens: it.inputTokens + it.outputTokens, wallMs: expect.any(Number) });
    }
    expect(byMessages.exp.totals.messages).toBe(4);
    const list = await t.call('GET', `/v1/experiments/${byMessages.id}/conversations`);
    expect(list.body.items.map((c: any) => c.iteration)).toEqual([1, 2]);

    // The fakes answer 12 input + 3 output tokens by default: a 40-token budget ends after the third message.
    const byTokens = await runToEnd({ task, agents: AGENTS, rounds: 4, termination: { tokenBudget: 40 } });
    expect(byTokens.exp.iterations[0].termination.reason).toBe('token_budget');
    expect(byTokens.exp.iterations[0].messages).toBe(3);
  });

  it('ends an iteration at its timeout, abandoning the call in flight', async () => {
    fakes.openai.script({ type: 'hang' });
    const { exp } = await runToEnd({ task, agents: AGENTS, rounds: 2, termination: { timeoutMs: 300 } });
    expect(exp.status).toBe('succeeded');
    expect(exp.iterations[0]).toMatchObject({ messages: 0, termination: { reason: 'timeout' } });
    const hung = fakes.openai.requests.find((r) => r.op === 'chat')!;
    await hung.closed;
    expect(hung.aborted).toBe(true);
  });

  it('lets a selector model choose the speakers (never the previous one; a reply naming nobody falls back to rotation)', async () => {
    fakes.openai.script({ type: 'text', text: 'Cy' }, { type: 'text', text: 'I think Bo should answer.' }, { type: 'text', text: 'hmm' });
    const { exp, id } = await runToEnd({ task, agents: AGENTS, rounds: 1, speakerOrder: 'selector', selectorModel: 'openai/gpt-test' });
    expect(exp.status).toBe('succeeded');
    const conversation = await t.call('GET', `/v1/experiments/${id}/conversations/1`);
    expect(conversation.body.messages.map((m: any) => m.agent)).toEqual(['Cy', 'Bo', 'Cy']);
    expect(conversation.body.messages[0].selector).toMatchObject({ model: 'openai/gpt-test', usage: expect.any(Object) });
    // Selector calls count in the totals (priced: openai).
    expect(exp.totals.costUsd).toBeGreaterThan(0);
  });

  it('ends `failed` when an agent cannot answer', async () => {
    fakes.anthropic.script({ type: 'error', status: 400, message: 'bad request' });
    const { exp } = await runToEnd({ task, agents: AGENTS, rounds: 2 });
    expect(exp.status).toBe('failed');
    expect(exp.error.code).toBe('agent_failed');
    expect(exp.iterations[0]).toMatchObject({ status: 'failed', messages: 1, termination: { reason: 'error' } });
  });

  it('cancels a running experiment (DELETE → 202 → cancelled, stored messages kept) and replays events after Last-Event-ID', async () => {
    let release!: () => void;
    fakes.anthropic.script({ type: 'text', gate: new Promise<void>((r) => (release = r)) });
    const created = await t.call('POST', '/v1/experiments', { body: { task, agents: AGENTS, rounds: 4 } });
    const id = created.body.id;
    await readSse(`${t.url}/v1/experiments/${id}/events`, { headers: await auth(), until: (e) => e.event === 'message' });
    await fakes.anthropic.waitForRequests(1);
    const status = await t.call('GET', `/v1/experiments/${id}/status`);
    expect(status.body).toMatchObject({ status: 'running', current: { iteration: 1, messages: 1, maxMessages: 12 } });

    const del = await t.call('DELETE', `/v1/experiments/${id}`);
    expect(del.status).toBe(202);
    const exp = await ended(id);
    release();
    expect(exp.status).toBe('cancelled');
    expect(exp.iterations[0]).toMatchObject({ status: 'cancelled', messages: 1, termination: { reason: 'cancelled' } });
    expect((await t.call('DELETE', `/v1/experiments/${id}`)).status).toBe(409);

    const all = await readSse(`${t.url}/v1/experiments/${id}/events`, { headers: await auth() });
    const after = all.events.findIndex((e) => e.event === 'message');
    const replay = await readSse(`${t.url}/v1/experiments/${id}/events`, { headers: { ...(await auth()), 'last-event-id': all.events[after]!.id! } });
    expect(replay.events.map((e) => e.id)).toEqual(all.events.slice(after + 1).map((e) => e.id));
    expect(data(all.events.at(-1)!)).toEqual({ status: 'cancelled' });
  });
});

describe('experiment lifecycle and access', () => {
  it('another user gets 404; lists are per owner (admins see all) and paginated; PATCH changes metadata only', async () => {
    const a = await runToEnd({ task, agents: AGENTS.slice(0, 2), rounds: 1, metadata: { team: 'x' } });
    const b = await runToEnd({ task, agents: AGENTS.slice(0, 1), rounds: 1 });
    for (const [method, path] of [['GET', ''], ['GET', '/status'], ['GET', '/conversations'], ['GET', '/export'], ['PATCH', ''], ['DELETE', '']]) {
      const res = await t.call(method!, `/v1/experiments/${a.id}${path}`, { as: 'mallory', body: method === 'PATCH' ? { name: 'x' } : undefined });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
    const events = await fetch(`${t.url}/v1/experiments/${a.id}/events`, { headers: await auth('mallory') });
    expect(events.status).toBe(404);
    await events.text();
    expect((await t.call('GET', '/v1/experiments', { as: 'mallory' })).body.items).toEqual([]);

    const page1 = await t.call('GET', '/v1/experiments?limit=1');
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.items[0].id).toBe(b.id); // newest first
    const page2 = await t.call('GET', `/v1/experiments?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items[0].id).toBe(a.id);
    const admin = await t.call('GET', `/v1/experiments?owner=alice&limit=100`, { as: 'root', role: 'admin' });
    expect(admin.body.items.map((e: any) => e.id)).toEqual(expect.arrayContaining([a.id, b.id]));

    const patched = await t.call('PATCH', `/v1/experiments/${a.id}`, { body: { name: 'renamed', metadata: { team: 'y' } } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'renamed', metadata: { team: 'y' }, status: 'succeeded' });
    expect((await t.call('PATCH', `/v1/experiments/${a.id}`, { body: {} })).status).toBe(400);
    expect((await t.call('PATCH', `/v1/experiments/${a.id}`, { body: { rounds: 9 } })).status).toBe(400);
  });

  it('exports as JSON, and purges an ended experiment with its conversations (409 while it runs)', async () => {
    const { id } = await runToEnd({ task, agents: AGENTS.slice(0, 2), rounds: 2, iterations: 2 });
    const exported = await t.call('GET', `/v1/experiments/${id}/export`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toContain(`${id}.json`);
    expect(exported.body.experiment.id).toBe(id);
    expect(exported.body.conversations.map((c: any) => c.messages.length)).toEqual([4, 4]);

    expect((await t.call('DELETE', `/v1/experiments/${id}`)).status).toBe(409); // ended: nothing to cancel
    const purged = await t.call('DELETE', `/v1/experiments/${id}?purge=true`);
    expect(purged.body).toEqual({ id, deleted: true, messages: 8 });
    expect((await t.call('GET', `/v1/experiments/${id}`)).status).toBe(404);

    let release!: () => void;
    fakes.openai.script({ type: 'text', gate: new Promise<void>((r) => (release = r)) });
    const running = await t.call('POST', '/v1/experiments', { body: { task, agents: AGENTS, rounds: 1 } });
    await fakes.openai.waitForRequests(1);
    expect((await t.call('DELETE', `/v1/experiments/${running.body.id}?purge=true`)).status).toBe(409);
    await t.call('DELETE', `/v1/experiments/${running.body.id}`);
    release();
    expect((await ended(running.body.id)).status).toBe('cancelled');
  });

  it('rejects bad input with 400 and details', async () => {
    const cases: [unknown, (string | number)[]][] = [
      [{ task, agents: [], rounds: 1 }, ['agents']],
      [{ task, agents: AGENTS, rounds: 0 }, ['rounds']],
      [{ agents: AGENTS, rounds: 1 }, ['task']],
      [{ task, agents: [AGENTS[0], { ...AGENTS[1], name: 'ada' }], rounds: 1 }, ['agents', 1, 'name']],
      [{ task, agents: [{ ...AGENTS[0], model: 'nope/x' }], rounds: 1 }, ['agents', 0, 'model']],
      [{ task, agents: AGENTS, rounds: 1, speakerOrder: 'random' }, ['speakerOrder']],
      [{ task, agents: AGENTS, rounds: 1, termination: { maxMessages: -1 } }, ['termination', 'maxMessages']],
      [{ task, agents: AGENTS, rounds: 1, selectorModel: 'openai/gpt-test' }, ['selectorModel']],
    ];
    for (const [body, path] of cases) {
      const res = await t.call('POST', '/v1/experiments', { body });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.body.error.details.map((d: any) => d.path)).toContainEqual(path);
    }
    expect((await t.call('GET', '/v1/experiments?cursor=zzz')).status).toBe(400);
    expect((await t.call('GET', '/v1/experiments/exp_missing/conversations/0')).status).toBe(400);
  });
});
