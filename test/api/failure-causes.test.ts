import { freePort } from '../../core/local-redis';
import { startFakeOpenAI, type FakeLlmServer } from '../fakes/llm';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * What can be known at submission is a 400 naming the field; what can only
 * fail at run time ends with a stable error code naming the cause, and is not
 * retried when a retry cannot help. Nothing here may end as an anonymous
 * "infrastructure" error after three attempts.
 */
let llm: FakeLlmServer;
let t: TestSystem;
let bare: TestSystem;

beforeAll(async () => {
  llm = await startFakeOpenAI(['coder']);
  const closedPort = await freePort();
  t = await startTestSystem({
    LLM_PROVIDERS: JSON.stringify([
      { name: 'fake', type: 'openai-compatible', baseURL: llm.baseURL, models: ['coder'], prices: { coder: { inputPerMTok: 1, outputPerMTok: 1 } } },
      {
        name: 'down', type: 'openai-compatible', baseURL: `http://127.0.0.1:${closedPort}/v1`, models: ['coder'],
        retry: { maxAttempts: 1 }, prices: { coder: { inputPerMTok: 9, outputPerMTok: 9 } },
      },
    ]),
  });
  bare = await startTestSystem();
});
afterAll(async () => {
  await Promise.all([t?.close(), bare?.close()]);
  await llm?.close();
});
beforeEach(() => llm.reset());

const answer = (code: string) => ({ type: 'text' as const, text: JSON.stringify({ code }) });
const TESTS = [{ name: 'two', code: 'assert square(2) == 4' }];

function expect400(res: { status: number; body: any }, path: (string | number)[]): void {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('validation_error');
  expect(res.body.error.details.map((d: any) => d.path)).toContainEqual(path);
}

describe('refused at submission, naming the field', () => {
  it.each([
    ['a backslash path', 'a\\b.txt'],
    ['a path that is only dots', './.'],
    ['the main file itself', 'main.py'],
    ['a path under the main file', 'main.py/x'],
    ['a parent escape', 'x/../../etc/passwd'],
    ['an absolute path', '/etc/passwd'],
  ])('file path: %s', async (_what, path) => {
    const res = await t.call('POST', '/v1/runs', { body: { language: 'python', code: 'print(1)', files: [{ path, content: 'x' }] } });
    expect400(res, ['files', 0, 'path']);
  });

  it('two files where one is the directory of the other', async () => {
    const files = [{ path: 'a', content: '1' }, { path: 'a/b', content: '2' }];
    expect400(await t.call('POST', '/v1/runs', { body: { language: 'python', code: 'print(1)', files } }), ['files', 1, 'path']);
  });

  it.each([
    ['cpus', 0.001],
    ['memoryMb', 1],
    ['pids', 0],
    ['timeoutMs', 0],
  ])('limits.%s below what the sandbox accepts (%s)', async (name, value) => {
    const res = await t.call('POST', '/v1/runs', { body: { language: 'python', code: 'print(1)', limits: { [name]: value } } });
    expect400(res, ['limits', name]);
  });

  it.each(['autorun', 'agent'])('%s with no LLM provider configured', async (kind) => {
    const res = await bare.call('POST', '/v1/runs', { body: { kind, language: 'python', prompt: 'Write square(x).' } });
    expect400(res, ['model']);
    expect(res.body.error.message).toContain('LLM_PROVIDERS');
  });
});

describe('ended at run time with a code naming the cause', () => {
  it('the smallest memory the sandbox takes runs, and a program that needs more is memory_exceeded', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: { language: 'python', code: 'x = bytearray(64 * 1024 * 1024)\nprint(len(x))', limits: { memoryMb: 6 } },
    });
    expect(created.status).toBe(202);
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('failed');
    expect(run.result.verdict).toBe('memory_exceeded');
  });

  it('autorun with model "auto" picks the cheapest healthy model and runs', async () => {
    llm.script(answer('def square(x):\n    return x * x\n'));
    const created = await t.call('POST', '/v1/runs', { body: { kind: 'autorun', language: 'python', prompt: 'Write square(x).', model: 'auto', tests: TESTS } });
    expect(created.status).toBe(202);
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('succeeded');
    expect(run.result.model).toBe('fake/coder');
  });

  it('an unreachable provider ends the run in error provider_unavailable, naming it, after one attempt', async () => {
    const created = await t.call('POST', '/v1/runs', { body: { kind: 'autorun', language: 'python', prompt: 'Write square(x).', model: 'down/coder', tests: TESTS } });
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('error');
    expect(run.error.code).toBe('provider_unavailable');
    expect(run.error.message).toContain('"down"');
    expect(run.attempts).toBe(1);
  });

  it('an evaluation whose one model is down still reports the others\' scores', async () => {
    llm.script(answer('def square(x):\n    return x * x\n'));
    const created = await t.call('POST', '/v1/runs', {
      body: { kind: 'evaluation', language: 'python', prompt: 'Write square(x).', models: ['fake/coder', 'down/coder'], tests: TESTS },
    });
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('succeeded');
    const [up, down] = run.result.models;
    expect(up).toMatchObject({ model: 'fake/coder', passed: 1, passRate: 1 });
    expect(down).toMatchObject({ passed: 0, passRate: 0 });
    expect(down.error).toContain('down: fetch failed');
  });
});
