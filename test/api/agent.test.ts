import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
import { startLlmTestSystem } from '../helpers/llm-system';
import { readSse } from '../helpers/sse';
import { isDone, type TestSystem } from '../helpers/system';

/** kind "agent": the streaming protocol end to end against a fake model and the real sandbox. */
let fakes: FakeLlmServers;
let t: TestSystem;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await startLlmTestSystem(fakes);
});
afterAll(async () => {
  await t?.close();
  await fakes?.close();
});
beforeEach(() => fakes.openai.reset());

const turn1 = [
  '<thought>Run two programs at once, then combine them.</thought>',
  '<action type="tool" mode="async" id="a" output_key="first">{"tool":"run_code","language":"bash","code":"sleep 1; echo alpha"}</action>',
  '<action type="tool" mode="async" id="b" output_key="second">{"tool":"run_code","language":"python","code":"import time; time.sleep(1); print(\\"beta\\")"}</action>',
  '<action type="internal" mode="async" id="c" depends_on="a,b" output_key="both">{"combined": "$first.stdout|$second.stdout"}</action>',
  '<response final="false">Working on it.</response>',
].join('\n');

it('runs two async tool actions in parallel, then the one depending on both with their outputs substituted', async () => {
  fakes.openai.script(
    { type: 'text', text: turn1, chunks: 12, delayMs: 40 },
    { type: 'text', text: '<response final="true">alpha and beta</response>' },
  );
  const created = await t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'Combine two outputs.', model: 'fake/coder' } });
  expect(created.status).toBe(202);
  const headers = { authorization: `Bearer ${await t.token('alice')}` };
  const stream = await readSse(`${t.url}/v1/runs/${created.body.id}/events`, { headers });
  const steps = stream.events.filter((e) => e.event === 'step').map((e) => JSON.parse(e.data));
  const finished = Object.fromEntries(steps.filter((s) => s.name === 'action_finished').map((s) => [s.id, s]));

  const { a, b, c } = finished;
  expect(a.ok && b.ok && c.ok).toBe(true);
  // a and b overlapped in time; c started only after both had finished.
  expect(a.startedAt).toBeLessThan(b.finishedAt);
  expect(b.startedAt).toBeLessThan(a.finishedAt);
  expect(c.startedAt).toBeGreaterThanOrEqual(Math.max(a.finishedAt, b.finishedAt));
  expect(c.output).toEqual({ combined: 'alpha\n|beta\n' });
  // Sandbox output streamed on the same stream, tagged with its action.
  const out = stream.events.filter((e) => e.event === 'stdout').map((e) => JSON.parse(e.data));
  const printed = (action: string) => out.filter((o) => o.action === action).map((o) => o.chunk).join('');
  expect([printed('a'), printed('b')]).toEqual(['alpha\n', 'beta\n']); // chunk boundaries are the OS's

  const run = await t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('succeeded');
  expect(run.result).toMatchObject({ response: 'alpha and beta', stoppedBy: 'final_response', steps: 2 });

  // The second turn was given the results of the first.
  const second = fakes.openai.requests.filter((r) => r.op === 'chat')[1]!;
  const fed = JSON.stringify(second.body.messages);
  expect(fed).toContain('<result id=\\"c\\" output_key=\\"both\\" ok=\\"true\\">');
  expect(fed).toContain('alpha\\\\n|beta\\\\n');
});

it('starts an action while the model is still streaming', async () => {
  const text = '<action type="tool" mode="async" id="early">{"tool":"run_code","language":"bash","code":"echo early"}</action>' + ' '.repeat(200) + '<response final="true">ok</response>';
  fakes.openai.script({ type: 'text', text, chunks: 20, delayMs: 50 });
  const created = await t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'x', model: 'fake/coder' } });
  const headers = { authorization: `Bearer ${await t.token('alice')}` };
  const stream = await readSse(`${t.url}/v1/runs/${created.body.id}/events`, { headers });
  const started = stream.events.findIndex((e) => e.event === 'step' && JSON.parse(e.data).name === 'action_started');
  const lastToken = stream.events.map((e) => e.event).lastIndexOf('token');
  expect(started).toBeGreaterThan(0);
  expect(started).toBeLessThan(lastToken);
});

it('answers malformed output with a corrective prompt, and gives up after a bounded number', async () => {
  fakes.openai.script(
    { type: 'text', text: '<action id="x">{oops}</action>' },
    { type: 'text', text: '<response final="true">fixed</response>' },
  );
  const ok = await t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'x', model: 'fake/coder' } });
  const run = await t.waitFor(ok.body.id, isDone);
  expect(run.result).toMatchObject({ response: 'fixed', steps: 2 });
  const correction = fakes.openai.requests.filter((r) => r.op === 'chat')[1]!;
  expect(JSON.stringify(correction.body.messages)).toContain('did not follow the protocol');

  fakes.openai.reset();
  const bad = { type: 'text' as const, text: '<action id="x" depends_on="ghost">{}</action>' };
  fakes.openai.script(bad, bad, bad, bad);
  const failing = await t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'x', model: 'fake/coder' } });
  const failed = await t.waitFor(failing.body.id, isDone);
  expect(failed.status).toBe('failed');
  expect(failed.result).toMatchObject({ stoppedBy: 'malformed_output', steps: 3 });
});

it('stops at its step budget', async () => {
  const loop = { type: 'text' as const, text: '<response final="false">still thinking</response>' };
  fakes.openai.script(loop, loop, loop);
  const created = await t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'x', model: 'fake/coder', maxSteps: 2 } });
  const run = await t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('failed');
  expect(run.result).toMatchObject({ stoppedBy: 'max_steps', steps: 2 });
  expect(fakes.openai.requests.filter((r) => r.op === 'chat')).toHaveLength(2);
});
