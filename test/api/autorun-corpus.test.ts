import { AUTORUN_ANSWERS, TASKS, type AutorunFixture } from '../fixtures/answers';
import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
import { startLlmTestSystem } from '../helpers/llm-system';
import { isDone, type TestSystem } from '../helpers/system';

/**
 * The answer corpus (test/fixtures/answers) through real autoruns: the fake
 * provider answers with the fixture's text, the real sandbox runs what Paddock
 * made of it against the task's tests (or the answer's own), one attempt each.
 * Every answer that contains correct code must succeed on attempt 1; the others
 * must fail with the stated reason. The acceptance rate is printed at the end.
 */
let fakes: FakeLlmServers;
let t: TestSystem;
const outcomes: { fixture: AutorunFixture; succeeded: boolean }[] = [];

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  // Room for Node's start-up on a loaded machine: each test runs in its own process.
  t = await startLlmTestSystem(fakes, { SANDBOX_MAX_TIMEOUT_MS: '10000' });
});
afterAll(async () => {
  await t?.close();
  await fakes?.close();
});

it.each(AUTORUN_ANSWERS.map((a) => [a.id, a] as const))('%s', async (_id, a) => {
  const task = TASKS[a.task];
  fakes.openai.reset();
  fakes.openai.script({ type: 'text', text: a.text, chunks: 5, usage: { input: 200, output: 150 } });
  const created = await t.call('POST', '/v1/runs', {
    body: {
      kind: 'autorun', language: task.language, prompt: task.prompt, model: 'fake/coder', maxAttempts: 1,
      ...(a.answerWritesTests ? {} : { tests: task.tests }),
    },
  });
  expect(created.status).toBe(202);
  const run = await t.waitFor(created.body.id, isDone);
  outcomes.push({ fixture: a, succeeded: run.status === 'succeeded' });
  if (a.expect.status === 'succeeded') {
    expect({ status: run.status, lastFailure: run.result.lastFailure }).toEqual({ status: 'succeeded', lastFailure: undefined });
    expect(run.result.succeededAttempt).toBe(1);
    expect(run.result.tests.map((x: any) => [x.name, x.status])).toEqual(run.result.tests.map((x: any) => [x.name, 'passed']));
    expect(run.result.tests).toHaveLength(a.expect.testsRun);
  } else {
    expect(run.status).toBe('failed');
    expect(run.result.lastFailure).toMatchObject({ attempt: 1, kind: a.expect.lastFailure.kind });
    expect(run.result.lastFailure.message).toContain(a.expect.lastFailure.messageIncludes);
  }
});

it('accepts every answer that contains correct code (the acceptance rate)', () => {
  expect(outcomes).toHaveLength(AUTORUN_ANSWERS.length);
  const correct = outcomes.filter((o) => o.fixture.correctCode);
  const accepted = correct.filter((o) => o.succeeded);
  const byStyle = [...new Set(correct.map((o) => o.fixture.style))].map((s) => {
    const mine = correct.filter((o) => o.fixture.style === s);
    return `${s} ${mine.filter((o) => o.succeeded).length}/${mine.length}`;
  });
  const rate = (100 * accepted.length) / correct.length;
  process.stdout.write(
    `\nautorun corpus: ${accepted.length} of ${correct.length} answers with correct code succeeded on attempt 1 (${rate.toFixed(0)}%; ${byStyle.join(', ')}); ` +
      `${outcomes.length - correct.length} answers without usable code failed with the stated reason\n`,
  );
  expect(accepted.map((o) => o.fixture.id)).toEqual(correct.map((o) => o.fixture.id));
  expect(outcomes.filter((o) => !o.fixture.correctCode && o.succeeded)).toEqual([]);
});
