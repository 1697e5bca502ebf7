import { useLlmTestSystem } from '../helpers/llm-system';
import { readSse } from '../helpers/sse';
import { isDone, startTestSystem } from '../helpers/system';

/** kind "protocol": a protocol document run as written, through the agent's parser and scheduler, with no model. */
// A provider is configured, so a model call would be possible: the test shows none is made.
const sys = useLlmTestSystem();

const DOCUMENT = [
  '<thought>Print a greeting from the context, then reuse what the first program printed.</thought>',
  '<action type="tool" id="first" output_key="greeting">{"tool": "run_code", "language": "python", "code": "print(\\"$word\\".upper())"}</action>',
  '<action type="tool" mode="async" id="second" depends_on="first">{"tool": "run_code", "language": "bash", "code": "echo \\"$first.stdout, $who.name\\""}</action>',
  '<response final="true">Greeted.</response>',
].join('\n');

const steps = (events: { event: string; data: string }[]) =>
  events.filter((e) => e.event === 'step').map((e) => JSON.parse(e.data));

it('runs the actions in dependency order with $id and context references resolved, streaming the agent events, and asks no model', async () => {
  const created = await sys.t.call('POST', '/v1/runs', {
    body: { kind: 'protocol', protocolText: DOCUMENT, context: { word: 'hello', who: { name: 'Ada' } } },
  });
  expect(created.status).toBe(202);
  expect(created.body.kind).toBe('protocol');
  const headers = { authorization: `Bearer ${await sys.t.token('alice')}` };
  const stream = await readSse(`${sys.t.url}/v1/runs/${created.body.id}/events`, { headers });

  // Everything in one ordered stream: the first action finishes before the second starts.
  const order = stream.events
    .filter((e) => ['step', 'stdout', 'result', 'end'].includes(e.event))
    .map((e) => {
      const d = JSON.parse(e.data);
      return e.event === 'step' ? `${d.name}${d.id ? `:${d.id}` : ''}` : e.event === 'stdout' ? `stdout:${d.action}` : e.event;
    })
    .filter((x, i, all) => x !== all[i - 1]); // output may come in several chunks
  expect(order).toEqual([
    'thought',
    'action_started:first',
    'stdout:first',
    'action_finished:first',
    'action_started:second',
    'stdout:second',
    'action_finished:second',
    'response',
    'result',
    'end',
  ]);
  const seqs = stream.events.map((e) => Number(e.id));
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  const finished = Object.fromEntries(steps(stream.events).filter((s) => s.name === 'action_finished').map((s) => [s.id, s]));
  expect(finished.first.output).toMatchObject({ stdout: 'HELLO\n', exitCode: 0, verdict: 'ok' });
  expect(finished.second.output).toMatchObject({ stdout: 'HELLO, Ada\n', exitCode: 0, verdict: 'ok' });
  expect(finished.second.startedAt).toBeGreaterThanOrEqual(finished.first.finishedAt);

  const run = await sys.t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('succeeded');
  expect(run.result).toMatchObject({
    response: 'Greeted.',
    malformed: [],
    outputs: { first: { stdout: 'HELLO\n' }, second: { stdout: 'HELLO, Ada\n' } },
  });
  expect(run.result.actions.map((a: any) => [a.id, a.ok])).toEqual([['first', true], ['second', true]]);
  expect(sys.fakes.openai.requests.filter((r) => r.op === 'chat')).toHaveLength(0);

  // Action outcomes are artifacts, as in agent runs.
  const artifacts = await sys.t.call('GET', `/v1/runs/${created.body.id}/artifacts`);
  expect(artifacts.body.items.map((a: any) => [a.kind, a.key])).toEqual(expect.arrayContaining([['action', 'first'], ['action', 'second']]));
});

it('fails with the reasons when the document breaks the protocol; valid actions still run, llm actions do not call a model', async () => {
  const text = [
    '<action type="tool" id="ok">{"tool": "run_code", "language": "bash", "code": "echo fine"}</action>',
    '<action type="tool" id="ghost-dep" depends_on="nowhere">{"tool": "run_code", "language": "bash", "code": "echo no"}</action>',
    '<action type="internal" id="word">{"shadow": true}</action>',
    '<action type="llm" id="ask">{"prompt": "hi"}</action>',
    '<action type="internal" id="after-ask" depends_on="ask">{"x": "$ask.text"}</action>',
  ].join('\n');
  const created = await sys.t.call('POST', '/v1/runs', { body: { kind: 'protocol', protocolText: text, context: { word: 'w' } } });
  const run = await sys.t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('failed');
  expect(run.result.malformed).toEqual([
    'action ghost-dep depends on unknown action(s) nowhere',
    'action word: "word" is a context key; give the action another id or output_key',
  ]);
  const byId = Object.fromEntries(run.result.actions.map((a: any) => [a.id, a]));
  expect(byId.ok.ok).toBe(true);
  expect(byId.ask).toMatchObject({ ok: false, error: expect.stringContaining('llm actions need a model') });
  expect(byId['after-ask']).toMatchObject({ ok: false, error: 'dependency failed: ask' });
  expect(run.result.outputs.ok).toMatchObject({ stdout: 'fine\n' });
  expect(sys.fakes.openai.requests.filter((r) => r.op === 'chat')).toHaveLength(0);
});

it('is cancelled like any run: its program is killed and the run ends cancelled', async () => {
  const text = '<action type="tool" id="slow">{"tool": "run_code", "language": "bash", "code": "echo started; sleep 30"}</action>';
  const created = await sys.t.call('POST', '/v1/runs', { body: { kind: 'protocol', protocolText: text } });
  const headers = { authorization: `Bearer ${await sys.t.token('alice')}` };
  await readSse(`${sys.t.url}/v1/runs/${created.body.id}/events`, { headers, until: (e) => e.event === 'stdout' });
  expect((await sys.t.call('DELETE', `/v1/runs/${created.body.id}`)).status).toBe(202);
  const run = await sys.t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('cancelled');
});

it('is checked at submission: protocolText required, context keys must be nameable, protocol fields only on protocol runs', async () => {
  const missing = await sys.t.call('POST', '/v1/runs', { body: { kind: 'protocol' } });
  expect(missing.status).toBe(400);
  expect(missing.body.error.details).toEqual([{ path: ['protocolText'], message: 'required for kind "protocol"' }]);
  const badKey = await sys.t.call('POST', '/v1/runs', { body: { kind: 'protocol', protocolText: '<response final="true">x</response>', context: { 'a b': 1 } } });
  expect(badKey.status).toBe(400);
  expect(badKey.body.error.details[0].path).toEqual(['context', 'a b']);
  const stray = await sys.t.call('POST', '/v1/runs', { body: { kind: 'code', language: 'bash', code: 'true', protocolText: 'x' } });
  expect(stray.status).toBe(400);
  expect(stray.body.error.details).toEqual([{ path: ['protocolText'], message: 'only for kind "protocol"' }]);
});

it('needs no LLM provider: accepted on a server without LLM_PROVIDERS, where model kinds are a 400', async () => {
  const bare = await startTestSystem({ PADDOCK_ROLE: 'api' });
  try {
    const ok = await bare.call('POST', '/v1/runs', { body: { kind: 'protocol', protocolText: '<response final="true">hi</response>' } });
    expect(ok.status).toBe(202);
    const agent = await bare.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'x' } });
    expect(agent.status).toBe(400);
  } finally {
    await bare.close();
  }
});
