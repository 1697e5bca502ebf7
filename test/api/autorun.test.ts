import { startLlmTestSystem, useLlmTestSystem } from '../helpers/llm-system';
import { readSse } from '../helpers/sse';
import { isDone, type TestSystem } from '../helpers/system';

/** kind "autorun" end to end: the (fake) model writes code, the sandbox tests it, failures go back for repair. */
const sys = useLlmTestSystem();

const answer = (code: string, tests?: unknown[]) => ({ type: 'text' as const, text: JSON.stringify(tests ? { code, tests } : { code }), usage: { input: 100, output: 50 } });
const BUGGY = 'def square(x):\n    return x + x\n';
const FIXED = 'def square(x):\n    return x * x\n';
const TESTS = [
  { name: 'two', code: 'assert square(2) == 4' },
  { name: 'three', code: 'assert square(3) == 9, f"square(3) = {square(3)}"' },
];

it('repairs after a failing first attempt: succeeded on attempt 2, with artifacts, per-test results and usage totals', async () => {
  sys.fakes.openai.script(answer(BUGGY, TESTS), answer(FIXED, TESTS));
  const created = await sys.t.call('POST', '/v1/runs', {
    body: { kind: 'autorun', language: 'python', prompt: 'Write square(x).', model: 'fake/coder', maxAttempts: 3 },
  });
  expect(created.status).toBe(202);
  const headers = { authorization: `Bearer ${await sys.t.token('alice')}` };
  const stream = await readSse(`${sys.t.url}/v1/runs/${created.body.id}/events`, { headers });
  const types = new Set(stream.events.map((e) => e.event));
  for (const type of ['status', 'token', 'step', 'test', 'result', 'end']) expect(types).toContain(type);

  const run = await sys.t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('succeeded');
  expect(run.result).toMatchObject({
    succeededAttempt: 2,
    attempts: 2,
    code: FIXED,
    model: 'fake/coder',
    usage: { inputTokens: 200, outputTokens: 100 },
  });
  expect(run.result.costUsd).toBeCloseTo((200 * 1 + 100 * 2) / 1e6, 12);
  expect(run.result.sandboxMs).toBeGreaterThan(0);
  expect(run.result.tests.map((x: any) => [x.name, x.passed])).toEqual([['two', true], ['three', true]]);

  const artifacts = await sys.t.call('GET', `/v1/runs/${created.body.id}/artifacts`);
  expect(artifacts.body.items.map((a: any) => [a.attempt, a.kind])).toEqual([
    [1, 'execution'], [1, 'generation'], [2, 'execution'], [2, 'generation'],
  ]);
  const firstExec = artifacts.body.items[0].data;
  expect(firstExec.tests.find((x: any) => x.name === 'three')).toMatchObject({ passed: false });
  expect(firstExec.tests.find((x: any) => x.name === 'three').message).toContain('square(3) = 6');

  // The repair request showed the model its failure.
  const repair = sys.fakes.openai.requests.filter((r) => r.op === 'chat')[1]!;
  expect(JSON.stringify(repair.body.messages)).toContain('square(3) = 6');
});

it('uses the caller\'s tests when given, and fails after maxAttempts when no attempt passes', async () => {
  sys.fakes.openai.script(answer(BUGGY), answer(BUGGY), { type: 'text', text: 'I cannot do that.' });
  const created = await sys.t.call('POST', '/v1/runs', {
    body: { kind: 'autorun', language: 'python', prompt: 'Write square(x).', model: 'fake/coder', maxAttempts: 3, tests: TESTS },
  });
  const run = await sys.t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('failed');
  expect(run.result).toMatchObject({ succeededAttempt: null, attempts: 3 });
  const chats = sys.fakes.openai.requests.filter((r) => r.op === 'chat');
  expect(chats).toHaveLength(3);
  expect(JSON.stringify(chats[0]!.body.messages)).toContain('square(3) == 9'); // the given tests were shown
  const artifacts = await sys.t.call('GET', `/v1/runs/${created.body.id}/artifacts`);
  const third = artifacts.body.items.find((a: any) => a.attempt === 3 && a.kind === 'generation');
  expect(third.data.rejected).toBe('the answer contained no python code block');
  expect(artifacts.body.items.filter((a: any) => a.attempt === 3)).toHaveLength(1); // nothing was executed
  // The run document says why it failed, without a trip to the artifacts.
  expect(run.result.lastFailure).toEqual({ attempt: 3, kind: 'no_code', message: 'the answer contained no python code block' });
});

it('puts the last failure in the result: which tests failed and with what message', async () => {
  sys.fakes.openai.script(answer(BUGGY));
  const created = await sys.t.call('POST', '/v1/runs', {
    body: { kind: 'autorun', language: 'python', prompt: 'Write square(x).', model: 'fake/coder', maxAttempts: 1, tests: TESTS },
  });
  const run = await sys.t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('failed');
  expect(run.result.lastFailure).toEqual({
    attempt: 1,
    kind: 'tests_failed',
    message: '1 of 2 tests failed',
    failedTests: [{ name: 'three', status: 'failed', message: 'AssertionError: square(3) = 6\nassert 6 == 9\n +  where 6 = square(3)' }],
  });
});

const prose = (text: string) => ({ type: 'text' as const, text, usage: { input: 100, output: 50 } });

it('runs code from a bare fence, a Python or python3 fence, and the implementation rather than a usage snippet shown first', async () => {
  const answers = [
    'Here is the function:\n\n```\n' + FIXED + '```\n',
    'Sure!\n```Python\n' + FIXED + '```',
    '```python3\n' + FIXED + '```',
    'Usage:\n```python\nprint(square(3))  # 9\n```\n\nImplementation:\n```python\n' + FIXED + '```\n',
  ];
  for (const text of answers) {
    sys.fakes.openai.reset();
    sys.fakes.openai.script(prose(text));
    const created = await sys.t.call('POST', '/v1/runs', {
      body: { kind: 'autorun', language: 'python', prompt: 'Write square(x).', model: 'fake/coder', maxAttempts: 1, tests: TESTS },
    });
    const run = await sys.t.waitFor(created.body.id, isDone);
    expect([text, run.status, run.result.succeededAttempt, run.result.code]).toEqual([text, 'succeeded', 1, FIXED]);
  }
});

it('tells the model the truth when its code is in another language', async () => {
  sys.fakes.openai.script(prose('In Ruby:\n```ruby\ndef square(x) = x * x\n```'), prose('```python\n' + FIXED + '```'));
  const created = await sys.t.call('POST', '/v1/runs', {
    body: { kind: 'autorun', language: 'python', prompt: 'Write square(x).', model: 'fake/coder', maxAttempts: 2, tests: TESTS },
  });
  const run = await sys.t.waitFor(created.body.id, isDone);
  expect(run.result).toMatchObject({ succeededAttempt: 2 });
  const repair = sys.fakes.openai.requests.filter((r) => r.op === 'chat')[1]!;
  const last = repair.body.messages.at(-1).content as string;
  expect(last).toContain("the answer's code is in a block tagged ```ruby, but this task needs python");
  expect(last).not.toContain('contained no code');
});

it('survives literal newlines and CRLF inside the JSON answer of a small local model', async () => {
  const text = '{\r\n  "code": "def square(x):\r\n    return x * x\r\n",\r\n  "tests": [{"name": "four", "code": "assert square(2) == 4"}]\r\n}';
  sys.fakes.openai.script(prose(text));
  const created = await sys.t.call('POST', '/v1/runs', {
    body: { kind: 'autorun', language: 'python', prompt: 'Write square(x).', model: 'fake/coder', maxAttempts: 1 },
  });
  const run = await sys.t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('succeeded');
  expect(run.result.tests.map((x: any) => [x.name, x.passed])).toEqual([['four', true]]);
});

it('names each artifact of an evaluation by its key (model index and sample)', async () => {
  sys.fakes.openai.script(answer(FIXED), answer(BUGGY));
  const created = await sys.t.call('POST', '/v1/runs', {
    body: { kind: 'evaluation', language: 'python', prompt: 'Write square(x).', tests: TESTS, models: ['fake/coder'], samples: 2 },
  });
  await sys.t.waitFor(created.body.id, isDone);
  const artifacts = await sys.t.call('GET', `/v1/runs/${created.body.id}/artifacts`);
  const keyed = artifacts.body.items.map((a: any) => `${a.key}/${a.kind}:${a.kind === 'execution' ? a.data.tests.every((x: any) => x.passed) : a.data.code === FIXED}`);
  expect(keyed.sort()).toEqual(['0.1/execution:true', '0.1/generation:true', '0.2/execution:false', '0.2/generation:false']);
});

it('rejects an autorun without prompt or with bash', async () => {
  const res = await sys.t.call('POST', '/v1/runs', { body: { kind: 'autorun', language: 'bash' } });
  expect(res.status).toBe(400);
  expect(res.body.error.details.map((d: any) => d.path)).toEqual(expect.arrayContaining([['prompt'], ['language']]));
});

describe('an autorun on an Ollama model that is not installed', () => {
  let withOllama: TestSystem;

  beforeAll(async () => {
    const providers = [{ name: 'local', type: 'ollama', baseURL: sys.fakes.ollama.url, models: ['qwen-coder:1b'] }];
    withOllama = await startLlmTestSystem(sys.fakes, { LLM_PROVIDERS: JSON.stringify(providers) });
  });
  afterAll(async () => {
    await withOllama?.close();
  });

  it('pulls the model first, then writes the code with it', async () => {
    sys.fakes.ollama.reset();
    expect(sys.fakes.ollama.models).not.toContain('qwen-coder:1b');
    sys.fakes.ollama.script({ type: 'text', text: JSON.stringify({ code: FIXED }) });
    const created = await withOllama.call('POST', '/v1/runs', {
      body: { kind: 'autorun', language: 'python', prompt: 'square', model: 'local/qwen-coder:1b', tests: TESTS, maxAttempts: 1 },
    });
    const headers = { authorization: `Bearer ${await withOllama.token('alice')}` };
    const stream = await readSse(`${withOllama.url}/v1/runs/${created.body.id}/events`, { headers });
    const pull = stream.events.map((e) => (e.event === 'step' ? JSON.parse(e.data) : null)).find((d) => d?.name === 'model_pull');
    expect(pull).toMatchObject({ model: 'local/qwen-coder:1b', pullId: expect.any(String) });
    const run = await withOllama.waitFor(created.body.id, isDone);
    expect(run.status).toBe('succeeded');
    expect(sys.fakes.ollama.pulls.completed).toEqual(['qwen-coder:1b']);
    // The pull finished before the model was asked to write code.
    const ops = sys.fakes.ollama.requests.map((r) => r.op);
    expect(ops.indexOf('chat')).toBeGreaterThan(ops.lastIndexOf('pull'));
    const pullDoc = await withOllama.call('GET', `/v1/models/pulls/${pull.pullId}`);
    expect(pullDoc.body.status).toBe('succeeded');
  });
});
