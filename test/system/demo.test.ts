import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The README's demo, end to end: scripts/fake-llm.ts (the demo model behind fake
 * provider servers) as a separate process, a system configured with what it
 * prints, and the headline features succeeding against it on real Docker.
 */
const ROOT = path.resolve(__dirname, '../..');
let fake: ChildProcess | undefined;
let t: TestSystem;

beforeAll(async () => {
  fake = spawn(process.execPath, ['--import', 'tsx', 'scripts/fake-llm.ts', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const providers = await firstLine(fake);
  t = await startTestSystem({ LLM_PROVIDERS: providers, LLM_FALLBACK: 'llamafarm,ollama', FAKE_LLM_KEY: 'fake-key-not-a-secret',
    // The README's defaults: on a busy test machine, three test processes at once can take longer than the suite's 5 s.
    SANDBOX_MAX_TIMEOUT_MS: '10000',
  });
});
afterAll(async () => {
  await t?.close();
  if (fake && fake.exitCode === null) {
    const exited = new Promise((r) => fake!.once('exit', r));
    fake.kill('SIGTERM');
    await exited;
  }
});

async function finished(body: Record<string, unknown>): Promise<any> {
  const created = await t.call('POST', '/v1/runs', { body });
  expect(created.status).toBe(202);
  return t.waitFor(created.body.id, isDone, { timeoutMs: 60_000 });
}

it('autorun: the model writes fizzbuzz and its tests, the sandbox passes them on attempt 1, with a cost', async () => {
  const run = await finished({
    kind: 'autorun', language: 'python', model: 'openai/gpt-4o-mini',
    prompt: 'Write fizzbuzz(n): the list of strings for 1..n, "Fizz" for multiples of 3, "Buzz" for 5, "FizzBuzz" for both.',
  });
  expect(run.status).toBe('succeeded');
  expect(run.result.succeededAttempt).toBe(1);
  expect(run.result.tests.length).toBeGreaterThanOrEqual(3);
  expect(run.result.tests.every((x: any) => x.passed)).toBe(true);
  expect(run.result.costUsd).toBeGreaterThan(0);
});

it('autorun with the caller\'s tests, in JavaScript', async () => {
  const run = await finished({
    kind: 'autorun', language: 'javascript', model: 'anthropic/claude-3-5-haiku-latest',
    prompt: 'Write slugify(s): lower-case, runs of anything that is not a letter or digit become one "-".',
    tests: [{ name: 'punctuation', code: "assert.strictEqual(slugify('Hello, World!'), 'hello-world');" }],
  });
  expect(run.status).toBe('succeeded');
  expect(run.result.tests.map((x: any) => [x.name, x.passed])).toEqual([['punctuation', true]]);
});

it('agent: a run_code action in the sandbox, then a final response quoting its output', async () => {
  const run = await finished({ kind: 'agent', model: 'gemini/gemini-2.0-flash', prompt: 'Show FizzBuzz up to 15.' });
  expect(run.status).toBe('succeeded');
  expect(run.result.stoppedBy).toBe('final_response');
  expect(run.result.actions.map((a: any) => [a.id, a.ok])).toEqual([['demo', true]]);
  expect(run.result.response).toContain('14 FizzBuzz');
});

it('evaluation: three models on one task, each passing', async () => {
  const run = await finished({
    kind: 'evaluation', language: 'python',
    models: ['openai/gpt-4o-mini', 'anthropic/claude-3-5-haiku-latest', 'llamafarm/llamafarm-chat'],
    prompt: 'Write is_palindrome(s): True when s reads the same backwards, ignoring case and anything that is not a letter or digit.',
    tests: [
      { name: 'sentence', code: 'assert is_palindrome("A man, a plan, a canal: Panama")' },
      { name: 'word', code: 'assert not is_palindrome("hello")' },
    ],
  });
  expect(run.status).toBe('succeeded');
  expect(run.result.models.map((m: any) => [m.model, m.passRate])).toEqual([
    ['openai/gpt-4o-mini', 1], ['anthropic/claude-3-5-haiku-latest', 1], ['llamafarm/llamafarm-chat', 1],
  ]);
});

it('compare: two models side by side', async () => {
  const run = await finished({ kind: 'compare', prompt: 'What is a sandbox?', models: ['openai/gpt-4o-mini', 'ollama/llama3.2:1b'] });
  expect(run.status).toBe('succeeded');
  expect(run.result.answers).toHaveLength(2);
  for (const a of run.result.answers) expect(a.text).toContain('What is a sandbox?');
});

it('experiment: two agents converse for two rounds', async () => {
  const created = await t.call('POST', '/v1/experiments', {
    body: {
      task: { prompt: 'Should tests hit real Redis?' }, rounds: 2,
      agents: [
        { name: 'pro', model: 'openai/gpt-4o-mini', systemPrompt: 'Argue for it.' },
        { name: 'con', model: 'anthropic/claude-3-5-haiku-latest', systemPrompt: 'Argue against it.' },
      ],
    },
  });
  expect(created.status).toBe(202);
  const deadline = Date.now() + 60_000;
  let exp: any;
  do {
    exp = (await t.call('GET', `/v1/experiments/${created.body.id}`)).body;
    if (Date.now() > deadline) throw new Error(`experiment did not end: ${JSON.stringify(exp)}`);
    if (!isDone(exp)) await new Promise((r) => setTimeout(r, 100));
  } while (!isDone(exp));
  expect(exp.status).toBe('succeeded');
  const messages = (await t.call('GET', `/v1/experiments/${created.body.id}/conversations/1`)).body;
  expect(messages.messages.map((m: any) => m.agent)).toEqual(['pro', 'con', 'pro', 'con']);
});

it('a task the demo model does not know fails, saying what it can do', async () => {
  const run = await finished({ kind: 'autorun', language: 'python', model: 'openai/gpt-4o-mini', prompt: 'Write a compiler for COBOL.', maxAttempts: 1 });
  expect(run.status).toBe('failed');
  expect(run.result.lastFailure.kind).toBe('no_code');
  const artifacts = (await t.call('GET', `/v1/runs/${run.id}/artifacts`)).body.items;
  expect(artifacts.find((a: any) => a.kind === 'generation').data.text).toContain('I can only write code for these tasks: fizzbuzz');
});

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`fake-llm exited (${code}): ${err}`)));
  });
}
