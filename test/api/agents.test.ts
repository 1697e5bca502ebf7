import { useLlmTestSystem } from '../helpers/llm-system';
import { isDone } from '../helpers/system';

/** Saved agents: CRUD, ownership, auto-runs linked to the agent, its run history, deletion. */
const sys = useLlmTestSystem();

const SQUARE = 'def square(x):\n    return x * x\n';
const TESTS = [{ name: 'two', code: 'assert square(2) == 4' }];
const answer = (code: string) => ({ type: 'text' as const, text: JSON.stringify({ code }), usage: { input: 10, output: 5 } });

const AGENT = {
  name: 'squarer',
  description: 'writes square()',
  model: 'fake/coder',
  systemPrompt: 'Prefer short functions with no imports.',
  language: 'python',
  prompt: 'Write square(x).',
  tests: TESTS,
  limits: { timeoutMs: 4000 },
};

async function createAgent(body: Record<string, unknown>, as = 'alice') {
  const res = await sys.t.call('POST', '/v1/agents', { body, as });
  expect(res.status).toBe(201);
  return res.body;
}

it('creates, reads, lists, changes and deletes an agent; names are unique per owner; models are checked', async () => {
  const agent = await createAgent({ ...AGENT, name: 'crud' });
  expect(agent).toMatchObject({ ...AGENT, name: 'crud', owner: 'alice', links: { self: `/v1/agents/${agent.id}`, autoRun: `/v1/agents/${agent.id}/auto-run` } });
  expect(agent.id).toMatch(/^agt_/);
  expect((await sys.t.call('GET', `/v1/agents/${agent.id}`)).body).toEqual(agent);

  const listed = await sys.t.call('GET', '/v1/agents');
  expect(listed.body.items.map((a: any) => a.id)).toContain(agent.id);

  const changed = await sys.t.call('PATCH', `/v1/agents/${agent.id}`, { body: { description: 'squares numbers', systemPrompt: null, model: 'auto' } });
  expect(changed.status).toBe(200);
  expect(changed.body).toMatchObject({ description: 'squares numbers', model: 'auto', name: 'crud' });
  expect(changed.body.systemPrompt).toBeUndefined();

  expect((await sys.t.call('POST', '/v1/agents', { body: { ...AGENT, name: 'crud' } })).status).toBe(409);
  const other = await createAgent({ ...AGENT, name: 'crud-2' });
  expect((await sys.t.call('PATCH', `/v1/agents/${other.id}`, { body: { name: 'crud' } })).status).toBe(409);
  expect((await createAgent({ ...AGENT, name: 'crud' }, 'bob')).owner).toBe('bob'); // another owner's namespace

  const badModel = await sys.t.call('POST', '/v1/agents', { body: { ...AGENT, name: 'x', model: 'nowhere/thing' } });
  expect(badModel.status).toBe(400);
  expect(badModel.body.error.details[0].path).toEqual(['model']);
  expect((await sys.t.call('POST', '/v1/agents', { body: { ...AGENT, name: 'y', language: 'bash' } })).status).toBe(400);
  expect((await sys.t.call('POST', '/v1/agents', { body: { ...AGENT, name: 'z', color: 'red' } })).status).toBe(400);
  expect((await sys.t.call('PATCH', `/v1/agents/${agent.id}`, { body: {} })).status).toBe(400);
  expect((await sys.t.call('POST', '/v1/agents', { body: { ...AGENT, name: 'w', limits: { timeoutMs: 999_999 } } })).status).toBe(400);

  const deleted = await sys.t.call('DELETE', `/v1/agents/${agent.id}`);
  expect(deleted).toMatchObject({ status: 200, body: { id: agent.id, deleted: true } });
  expect((await sys.t.call('GET', `/v1/agents/${agent.id}`)).status).toBe(404);
  expect((await sys.t.call('DELETE', `/v1/agents/${agent.id}`)).status).toBe(404);
});

it("keeps agents to their owner (another user's is a 404 everywhere); admins see and list all", async () => {
  const agent = await createAgent({ ...AGENT, name: 'private' });
  for (const [method, path, body] of [
    ['GET', `/v1/agents/${agent.id}`],
    ['PATCH', `/v1/agents/${agent.id}`, { description: 'mine now' }],
    ['DELETE', `/v1/agents/${agent.id}`],
    ['POST', `/v1/agents/${agent.id}/auto-run`, {}],
    ['GET', `/v1/agents/${agent.id}/runs`],
  ] as const) {
    const res = await sys.t.call(method, path, { as: 'bob', body });
    expect([method, path, res.status]).toEqual([method, path, 404]);
  }
  expect((await sys.t.call('GET', '/v1/agents', { as: 'bob' })).body.items.map((a: any) => a.owner)).not.toContain('alice');
  expect((await sys.t.call('GET', `/v1/agents/${agent.id}`, { as: 'root', role: 'admin' })).status).toBe(200);
  const all = await sys.t.call('GET', '/v1/agents?limit=100', { as: 'root', role: 'admin' });
  expect(new Set(all.body.items.map((a: any) => a.owner))).toEqual(new Set(['alice', 'bob']));
  const alices = await sys.t.call('GET', '/v1/agents?owner=alice&limit=100', { as: 'root', role: 'admin' });
  expect(alices.body.items.every((a: any) => a.owner === 'alice')).toBe(true);
  expect((await sys.t.call('GET', '/v1/agents?owner=alice')).status).toBe(200); // ignored for users: their own
});

it("auto-runs with the agent's setup and with overrides, lists its runs, and keeps them when the agent is deleted", async () => {
  const agent = await createAgent(AGENT);

  sys.fakes.openai.script(answer(SQUARE));
  const first = await sys.t.call('POST', `/v1/agents/${agent.id}/auto-run`, { body: { metadata: { team: 'red' } } });
  expect(first.status).toBe(202);
  expect(first.body).toMatchObject({ kind: 'autorun', agentId: agent.id, metadata: { team: 'red' } });
  const run1 = await sys.t.waitFor(first.body.id, isDone);
  expect(run1.status).toBe('succeeded');
  expect(run1.result).toMatchObject({ succeededAttempt: 1, model: 'fake/coder' });
  expect(run1.request).toMatchObject({
    prompt: AGENT.prompt,
    model: AGENT.model,
    system: AGENT.systemPrompt,
    language: 'python',
    tests: TESTS,
    limits: AGENT.limits,
  });
  expect(run1.limits.timeoutMs).toBe(4000);
  const chat1 = sys.fakes.openai.requests.filter((r) => r.op === 'chat')[0]!;
  expect(chat1.model).toBe('coder');
  expect(JSON.stringify(chat1.body.messages)).toContain('Write square(x).');
  // The agent's system prompt reaches the model, after autorun's own instructions.
  expect(chat1.body.messages[0].content).toContain(AGENT.systemPrompt);

  // The body's prompt and tests win over the agent's.
  const cube = [{ name: 'cube', code: 'assert cube(2) == 8' }];
  sys.fakes.openai.script(answer('def cube(x):\n    return x ** 3\n'));
  const second = await sys.t.call('POST', `/v1/agents/${agent.id}/auto-run`, { body: { prompt: 'Write cube(x).', tests: cube, maxAttempts: 1, priority: 'critical' } });
  expect(second.status).toBe(202);
  const run2 = await sys.t.waitFor(second.body.id, isDone);
  expect(run2.status).toBe('succeeded');
  expect(run2.request).toMatchObject({ prompt: 'Write cube(x).', tests: cube, maxAttempts: 1, priority: 'critical', system: AGENT.systemPrompt });
  const chat2 = JSON.stringify(sys.fakes.openai.requests.filter((r) => r.op === 'chat')[1]!.body.messages);
  expect(chat2).toContain('Write cube(x).');
  expect(chat2).toContain('cube(2) == 8');

  // Run history: newest first, paged.
  const history = await sys.t.call('GET', `/v1/agents/${agent.id}/runs`);
  expect(history.body.items.map((r: any) => r.id)).toEqual([second.body.id, first.body.id]);
  const page1 = await sys.t.call('GET', `/v1/agents/${agent.id}/runs?limit=1`);
  const page2 = await sys.t.call('GET', `/v1/agents/${agent.id}/runs?limit=1&cursor=${page1.body.nextCursor}`);
  expect([...page1.body.items, ...page2.body.items].map((r: any) => r.id)).toEqual([second.body.id, first.body.id]);
  expect(page2.body.nextCursor).toBeNull();
  expect((await sys.t.call('GET', `/v1/agents/${agent.id}/runs?status=failed`)).body.items).toEqual([]);

  // Deleting the agent keeps its runs, still linked and findable.
  expect((await sys.t.call('DELETE', `/v1/agents/${agent.id}`)).status).toBe(200);
  expect((await sys.t.call('GET', `/v1/agents/${agent.id}/runs`)).status).toBe(404);
  const kept = await sys.t.call('GET', `/v1/runs/${first.body.id}`);
  expect(kept).toMatchObject({ status: 200, body: { status: 'succeeded', agentId: agent.id } });
  const byAgent = await sys.t.call('GET', `/v1/runs?agentId=${agent.id}`);
  expect(byAgent.body.items.map((r: any) => r.id)).toEqual([second.body.id, first.body.id]);
});

it('needs a prompt from the agent or the body, and checks overrides as a run request', async () => {
  const { prompt: _none, ...noPrompt } = AGENT;
  const agent = await createAgent({ ...noPrompt, name: 'no-prompt' });
  const missing = await sys.t.call('POST', `/v1/agents/${agent.id}/auto-run`, { body: {} });
  expect(missing.status).toBe(400);
  expect(missing.body.error.details).toEqual([{ path: ['prompt'], message: 'required' }]);
  expect((await sys.t.call('POST', `/v1/agents/${agent.id}/auto-run`, { body: { prompt: 'x', model: 'fake/other' } })).status).toBe(400);
  expect((await sys.t.call('POST', `/v1/agents/${agent.id}/auto-run`, { body: { prompt: 'x', maxAttempts: 99 } })).status).toBe(400);
  expect((await sys.t.call('POST', `/v1/agents/${agent.id}/auto-run`, { body: { prompt: 'x', priority: 'urgent' } })).status).toBe(400);
  expect((await sys.t.call('GET', `/v1/agents/${agent.id}/runs`)).body.items).toEqual([]);
});
