import { AGENT_CONVERSATIONS } from '../fixtures/answers';
import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
import { startLlmTestSystem } from '../helpers/llm-system';
import { readSse } from '../helpers/sse';
import { isDone, type TestSystem } from '../helpers/system';

/**
 * The agent conversations of the answer corpus (test/fixtures/answers) through
 * real agent runs on Docker: the fake provider streams each scripted turn, the
 * protocol parser reads it as it arrives, actions run in real sandboxes. Each
 * conversation states its outcome: which steps were malformed (and what the
 * corrective prompt said), which actions really ran and how often, their output.
 */
let fakes: FakeLlmServers;
let t: TestSystem;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await startLlmTestSystem(fakes, { SANDBOX_MAX_TIMEOUT_MS: '10000' });
});
afterAll(async () => {
  await t?.close();
  await fakes?.close();
});

it.each(AGENT_CONVERSATIONS.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
  fakes.openai.reset();
  fakes.openai.script(...c.turns.map((text) => ({ type: 'text' as const, text, chunks: 7 })));
  const created = await t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: c.prompt, model: 'fake/coder', maxSteps: 8 } });
  expect(created.status).toBe(202);
  const headers = { authorization: `Bearer ${await t.token('alice')}` };
  const stream = await readSse(`${t.url}/v1/runs/${created.body.id}/events`, { headers });
  const steps = stream.events.filter((e) => e.event === 'step').map((e) => JSON.parse(e.data));
  const run = await t.waitFor(created.body.id, isDone);

  const { expect: want } = c;
  expect({ status: run.status, stoppedBy: run.result.stoppedBy, steps: run.result.steps, response: run.result.response }).toEqual({
    status: want.status, stoppedBy: want.stoppedBy, steps: want.steps, response: want.response,
  });
  expect(steps.filter((s) => s.name === 'malformed').map((s) => s.step)).toEqual(want.malformedSteps);
  expect(run.result.malformedTurns).toBe(want.malformedSteps.length);
  const chats = fakes.openai.requests.filter((r) => r.op === 'chat');
  expect(chats).toHaveLength(want.steps);
  if (want.runs) {
    const started: Record<string, number> = {};
    for (const s of steps.filter((x) => x.name === 'action_started')) started[s.id] = (started[s.id] ?? 0) + 1;
    expect(started).toEqual(want.runs);
  }
  for (const [id, stdout] of Object.entries(want.stdout ?? {})) {
    const finished = steps.filter((s) => s.name === 'action_finished' && s.id === id);
    expect([id, finished.map((f) => f.output?.stdout ?? f.error)]).toEqual([id, [stdout]]);
  }
  if (want.correctionIncludes) {
    // The request after the first malformed step carries the corrective prompt as its last message.
    const correction = chats[want.malformedSteps[0]!]!.body.messages.at(-1).content as string;
    expect(correction).toContain('did not follow the protocol');
    for (const s of want.correctionIncludes) expect(correction).toContain(s);
  }
});
