import { useLlmTestSystem } from '../helpers/llm-system';
import { readSse } from '../helpers/sse';
import { isDone } from '../helpers/system';

/** kind "agent": the streaming protocol end to end against a fake model and the real sandbox. */
const sys = useLlmTestSystem();

const turn1 = [
  '<thought>Run two programs at once, then combine them.</thought>',
  '<action type="tool" mode="async" id="a" output_key="first">{"tool":"run_code","language":"bash","code":"sleep 1; echo alpha"}</action>',
  '<action type="tool" mode="async" id="b" output_key="second">{"tool":"run_code","language":"python","code":"import time; time.sleep(1); print(\\"beta\\")"}</action>',
  '<action type="internal" mode="async" id="c" depends_on="a,b" output_key="both">{"combined": "$first.stdout|$second.stdout"}</action>',
  '<response final="false">Working on it.</response>',
].join('\n');

it('runs two async tool actions in parallel, then the one depending on both with their outputs substituted', async () => {
  sys.fakes.openai.script(
    { type: 'text', text: turn1, chunks: 12, delayMs: 40 },
    { type: 'text', text: '<response final="true">alpha and beta</response>' },
  );
  const created = await sys.t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'Combine two outputs.', model: 'fake/coder' } });
  expect(created.status).toBe(202);
  const headers = { authorization: `Bearer ${await sys.t.token('alice')}` };
  const stream = await readSse(`${sys.t.url}/v1/runs/${created.body.id}/events`, { headers });
  const steps = stream.events.filter((e) => e.event === 'step').map((e) => JSON.parse(e.data));
  const finished = Object.fromEntries(steps.filter((s) => s.name === 'action_finished').map((s) => [s.id, s]));

  const { a, b, c } = finished;
  expect(a.ok && b.ok && c.ok).toBe(true);
  // a and b overlapped in time; c started only after both had finished.
  expect(a.startedAt).toBeLessThan(b.finishedAt);
  expect(b.startedAt).toBeLessThan(a.finishedAt);
  expect(c.startedAt).toBeGreaterThanOrEqual(Math.max(a.finishedAt, b.finishedAt));
  // Interpolated outputs lose their trailing newlines (the shell's $(…) rule).
  expect(c.output).toEqual({ combined: 'alpha|beta' });
  // Sandbox output streamed on the same stream, tagged with its action.
  const out = stream.events.filter((e) => e.event === 'stdout').map((e) => JSON.parse(e.data));
  const printed = (action: string) => out.filter((o) => o.action === action).map((o) => o.chunk).join('');
  expect([printed('a'), printed('b')]).toEqual(['alpha\n', 'beta\n']); // chunk boundaries are the OS's

  const run = await sys.t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('succeeded');
  expect(run.result).toMatchObject({ response: 'alpha and beta', stoppedBy: 'final_response', steps: 2 });

  // The second turn was given the results of the first.
  const second = sys.fakes.openai.requests.filter((r) => r.op === 'chat')[1]!;
  const fed = JSON.stringify(second.body.messages);
  expect(fed).toContain('<result id=\\"c\\" output_key=\\"both\\" ok=\\"true\\">');
  expect(fed).toContain('{\\"combined\\":\\"alpha|beta\\"}');
});

it('starts an action while the model is still streaming', async () => {
  const text = '<action type="tool" mode="async" id="early">{"tool":"run_code","language":"bash","code":"echo early"}</action>' + ' '.repeat(200) + '<response final="true">ok</response>';
  sys.fakes.openai.script({ type: 'text', text, chunks: 20, delayMs: 50 });
  const created = await sys.t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'x', model: 'fake/coder' } });
  const headers = { authorization: `Bearer ${await sys.t.token('alice')}` };
  const stream = await readSse(`${sys.t.url}/v1/runs/${created.body.id}/events`, { headers });
  const started = stream.events.findIndex((e) => e.event === 'step' && JSON.parse(e.data).name === 'action_started');
  const lastToken = stream.events.map((e) => e.event).lastIndexOf('token');
  expect(started).toBeGreaterThan(0);
  expect(started).toBeLessThan(lastToken);
});

it('answers malformed output with a corrective prompt, and gives up after a bounded number', async () => {
  sys.fakes.openai.script(
    { type: 'text', text: '<action id="x">{oops}</action>' },
    { type: 'text', text: '<response final="true">fixed</response>' },
  );
  const ok = await sys.t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'x', model: 'fake/coder' } });
  const run = await sys.t.waitFor(ok.body.id, isDone);
  expect(run.result).toMatchObject({ response: 'fixed', steps: 2 });
  const correction = sys.fakes.openai.requests.filter((r) => r.op === 'chat')[1]!;
  expect(JSON.stringify(correction.body.messages)).toContain('did not follow the protocol');

  sys.fakes.openai.reset();
  const bad = { type: 'text' as const, text: '<action id="x" depends_on="ghost">{}</action>' };
  sys.fakes.openai.script(bad, bad, bad, bad);
  const failing = await sys.t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'x', model: 'fake/coder' } });
  const failed = await sys.t.waitFor(failing.body.id, isDone);
  expect(failed.status).toBe('failed');
  expect(failed.result).toMatchObject({ stoppedBy: 'malformed_output', steps: 3 });
});

it('stops at its step budget', async () => {
  const loop = { type: 'text' as const, text: '<response final="false">still thinking</response>' };
  sys.fakes.openai.script(loop, loop, loop);
  const created = await sys.t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'x', model: 'fake/coder', maxSteps: 2 } });
  const run = await sys.t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('failed');
  expect(run.result).toMatchObject({ stoppedBy: 'max_steps', steps: 2 });
  expect(sys.fakes.openai.requests.filter((r) => r.op === 'chat')).toHaveLength(2);
});

const text = (t: string) => ({ type: 'text' as const, text: t });
const chats = () => sys.fakes.openai.requests.filter((r) => r.op === 'chat');
const lastUserMessage = (i: number) => chats()[i]!.body.messages.at(-1).content as string;
async function agentRun(extra: Record<string, unknown> = {}) {
  const created = await sys.t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'x', model: 'fake/coder', ...extra } });
  const headers = { authorization: `Bearer ${await sys.t.token('alice')}` };
  const stream = await readSse(`${sys.t.url}/v1/runs/${created.body.id}/events`, { headers });
  const steps = stream.events.filter((e) => e.event === 'step').map((e) => JSON.parse(e.data));
  return { run: await sys.t.waitFor(created.body.id, isDone), steps };
}

describe('malformed turns, as real models produce them', () => {
  it('counts malformed turns in a row: malformed, good, malformed, good, malformed still gets its correction', async () => {
    const bad = text('<action id="x">{oops}</action>');
    const good = text('<action type="internal" id="note$N">{"n": 1}</action><response final="false">noted</response>');
    let n = 0;
    const goodOne = () => text(good.text.replace('$N', String(++n)));
    sys.fakes.openai.script(bad, goodOne(), bad, goodOne(), bad, text('<response final="true">done</response>'));
    const { run } = await agentRun();
    expect(run.status).toBe('succeeded');
    expect(run.result).toMatchObject({ stoppedBy: 'final_response', steps: 6, malformedTurns: 3, response: 'done' });
  });

  it('tells the model what of a malformed turn ran, and reuses those actions when it re-sends the turn', async () => {
    const a = '<action type="tool" mode="async" id="a" output_key="x">{"tool": "run_code", "language": "python", "code": "print(6 * 7)"}</action>';
    sys.fakes.openai.script(
      // b's body is Python, not JSON: the turn is malformed, but a is valid and runs.
      text(`<thought>Two steps.</thought>${a}<action type="tool" id="b" depends_on="a">print("$x.stdout")</action>`),
      // The corrected turn, as models send it: everything again, b fixed.
      text(`${a}<action type="tool" id="b" depends_on="a">{"tool": "run_code", "language": "python", "code": "print('got $x.stdout!')"}</action>`),
      text('<response final="true">got 42</response>'),
    );
    const { run, steps } = await agentRun();
    expect(run.status).toBe('succeeded');
    expect(run.result).toMatchObject({ steps: 3, malformedTurns: 1, response: 'got 42' });
    expect(steps.filter((s) => s.name === 'action_started').map((s) => [s.step, s.id])).toEqual([[1, 'a'], [2, 'b']]);
    expect(steps.find((s) => s.name === 'action_reused')).toMatchObject({ step: 2, id: 'a', fromStep: 1 });
    expect(steps.find((s) => s.name === 'action_finished' && s.id === 'b').output.stdout).toBe('got 42!\n');
    const correction = lastUserMessage(1);
    expect(correction).toContain('action b: its body is not valid JSON');
    expect(correction).toContain('Its valid actions ran anyway (a)');
    expect(correction).toContain('<result id="a" output_key="x" ok="true">{"stdout":"42\\n"');
    expect(lastUserMessage(2)).toContain('<result id="a" output_key="x" ok="true" reused_from_step="1">');
  });

  it('refuses an id re-sent with another body, telling the model, and the run goes on', async () => {
    const act = (code: string) => `<action type="tool" id="a">{"tool": "run_code", "language": "bash", "code": "${code}"}</action>`;
    sys.fakes.openai.script(text(act('echo one')), text(act('echo two')), text('<response final="true">ok</response>'));
    const { run } = await agentRun();
    expect(run.status).toBe('succeeded');
    expect(run.result).toMatchObject({ steps: 3, malformedTurns: 1 });
    expect(lastUserMessage(2)).toContain('action id "a" already ran (step 1) with a different type, input or output_key; give the new action a new id');
  });

  it('flags plain prose and a JSON tool call as malformed and sends the corrective prompt', async () => {
    sys.fakes.openai.script(
      text('The answer is 42, because 6 times 7 is 42.'),
      text('```json\n{"name": "run_code", "arguments": {"language": "python", "code": "print(6*7)"}}\n```'),
      text('<response final="true">42</response>'),
    );
    const { run, steps } = await agentRun();
    expect(run.result).toMatchObject({ stoppedBy: 'final_response', steps: 3, malformedTurns: 2 });
    expect(steps.filter((s) => s.name === 'malformed').map((s) => s.reasons[0])).toEqual([
      expect.stringContaining('contains no <thought>, <action> or <response> element'),
      expect.stringContaining('is a JSON tool call, which this protocol does not use'),
    ]);
    expect(lastUserMessage(1)).toContain('did not follow the protocol');
  });

  it('takes final=true without quotes as final', async () => {
    sys.fakes.openai.script(text('<thought>Easy.</thought>\n<response final=true>42</response>'));
    const { run } = await agentRun({ maxSteps: 3 });
    expect(run.status).toBe('succeeded');
    expect(run.result).toMatchObject({ stoppedBy: 'final_response', steps: 1, response: '42' });
    expect(chats()).toHaveLength(1);
  });

  it('runs an action whose JSON body has literal newlines and CRLF in its code (small local models)', async () => {
    const body = '{"tool": "run_code", "language": "python", "code": "def f(x):\r\n    return x * 2\r\nprint(f(21))"}';
    sys.fakes.openai.script(text(`<action type="tool" id="a">${body}</action>`), text('<response final="true">42</response>'));
    const { run, steps } = await agentRun();
    expect(run.result).toMatchObject({ steps: 2 });
    expect(run.result.malformedTurns).toBe(0);
    expect(steps.find((s) => s.name === 'action_finished' && s.id === 'a').output).toMatchObject({ stdout: '42\n', exitCode: 0 });
  });
});
