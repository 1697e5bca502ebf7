import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeOllama, type FakeOllamaServer } from '../fakes/llm';
import { isDone, startTestSystem, TEST_SECRET, type TestSystem } from '../helpers/system';
import { cliResult } from './cli';

/** `paddock logs`, `token`, `batch` and `pull`: the real binary against a running system. */
let ollama: FakeOllamaServer;
let t: TestSystem;
let env: Record<string, string>;
let dirs: string[] = [];

beforeAll(async () => {
  ollama = await startFakeOllama();
  t = await startTestSystem({
    LLM_PROVIDERS: JSON.stringify([{ name: 'local', type: 'ollama', baseURL: ollama.url, models: ['llama3.2:1b'] }]),
    PULL_PROGRESS_MIN_MS: '0',
    PULL_PROGRESS_MIN_PERCENT: '0',
  });
  env = { PADDOCK_URL: t.url, PADDOCK_TOKEN: await t.token('erin') };
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  await t?.close();
  await ollama?.close();
});

/** A folder holding `files`. */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'paddock-batch-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

/** The CLI on a pseudo-terminal, as a person sees it: progress bars draw there. */
const onTerminal = (args: string[]) => cliResult(args, env, { terminal: true });

describe('paddock logs', () => {
  let id: string;
  beforeAll(async () => {
    id = (await t.call('POST', '/v1/runs', { as: 'erin', body: { language: 'python', code: 'import sys\nprint("one")\nprint("oops", file=sys.stderr)\nprint("two")' } })).body.id;
    await t.waitFor(id, isDone, { as: 'erin' });
  });

  it('prints the stored output: stdout to stdout, stderr and status lines to stderr', async () => {
    const r = await cliResult(['logs', id], env);
    expect([r.code, r.stdout]).toEqual([0, 'one\ntwo\n']);
    expect(r.stderr).toContain('oops');
    expect(r.stderr).toContain(`${id} succeeded`);
  });

  it('--json prints one event a line, in order; --after skips up to that seq', async () => {
    const all = (await cliResult(['logs', id, '--json'], env)).stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; type: string });
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.at(-1)?.type).toBe('end');
    const rest = (await cliResult(['logs', id, '--json', '--after', String(all.length - 1)], env)).stdout.trim().split('\n');
    expect(rest.map((l) => JSON.parse(l).type)).toEqual(['end']);
  });

  it("another user's run is 4; a bad --after is 2", async () => {
    expect((await cliResult(['logs', id], { ...env, PADDOCK_TOKEN: await t.token('mallory') })).code).toBe(4);
    expect((await cliResult(['logs', id, '--after', 'x'], env)).code).toBe(2);
  });
});

describe('paddock token', () => {
  it('mints a token the deployment accepts, with the role asked for', async () => {
    const minted = await cliResult(['token', '--sub', 'frank', '--role', 'admin'], { JWT_SECRET: TEST_SECRET });
    expect(minted.code).toBe(0);
    const jwt = minted.stdout.trim();
    expect(jwt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'frank', role: 'admin' });
    const listed = await cliResult(['list', '--json'], { ...env, PADDOCK_TOKEN: jwt });
    expect(listed.code).toBe(0);
  });

  it('a token signed with another secret is refused by the deployment', async () => {
    const other = await cliResult(['token', '--sub', 'frank'], { JWT_SECRET: 'another-secret-another-secret-another-secret' });
    expect(other.code).toBe(0);
    expect((await cliResult(['list'], { ...env, PADDOCK_TOKEN: other.stdout.trim() })).code).toBe(4);
  });

  it.each([[['token']], [['token', '--sub', 'x', '--role', 'root']], [['token', '--sub', 'x', '--ttl', 'soon']], [['token', 'frank']]])('bad usage %j: exit 2', async (args) => {
    const r = await cliResult(args, { JWT_SECRET: TEST_SECRET });
    expect([r.code, r.stdout]).toEqual([2, '']);
  });

  it('a JWT_SECRET shorter than 32 bytes is 2, naming it', async () => {
    const r = await cliResult(['token', '--sub', 'x'], { JWT_SECRET: 'short' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('JWT_SECRET');
  });
});

describe('paddock batch', () => {
  it('runs every program file, skips the rest, prints a line each and exits 1 when one failed', async () => {
    const dir = await folder({
      'a-ok.py': 'print("py ok")',
      'b-fail.py': 'import sys\nsys.exit(2)',
      'c-ok.sh': 'echo sh ok',
      'd-ok.js': 'console.log("js ok")',
      'notes.md': '# not a program',
    });
    const r = await cliResult(['batch', dir, '--priority', 'high'], env);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => l.split(/\s+/));
    expect(lines.map((l) => l.slice(0, 2))).toEqual([
      ['a-ok.py', 'succeeded'],
      ['b-fail.py', 'failed'],
      ['c-ok.sh', 'succeeded'],
      ['d-ok.js', 'succeeded'],
    ]);
    expect(r.stderr).toContain('4 runs: 3 succeeded, 1 failed');
    // Each line names its run, submitted with the priority and its file as metadata.
    const run = (await t.call('GET', `/v1/runs/${lines[1]![2]}`, { as: 'erin' })).body;
    expect(run).toMatchObject({ status: 'failed', language: 'python', metadata: { file: 'b-fail.py' }, request: { priority: 'high' } });
  });

  it('exits 0 when every run succeeded; --json gives file, id and status', async () => {
    const dir = await folder({ 'one.py': 'print(1)', 'two.py': 'print(2)' });
    const r = await cliResult(['batch', dir, '--json', '--concurrency', '1'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { file: 'one.py', id: expect.stringMatching(/^run_/), status: 'succeeded' },
      { file: 'two.py', id: expect.stringMatching(/^run_/), status: 'succeeded' },
    ]);
  });

  it('exits 4 when the server refuses runs, each with its reason', async () => {
    const dir = await folder({ 'one.py': 'print(1)' });
    const r = await cliResult(['batch', dir, '--priority', 'urgent'], env);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/one\.py\s+rejected\s+validation_error/);
  });

  it('draws a progress bar on a terminal', async () => {
    const dir = await folder({ 'one.py': 'print(1)', 'two.sh': 'echo 2', 'three.js': 'console.log(3)' });
    const r = await onTerminal(['batch', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3/3 runs | 3 succeeded, 0 did not');
  });

  it.each([[[]], [['/no/such/dir']], [['EMPTY']], [['DIR', '--concurrency', '0']]])('bad usage %j: exit 2, nothing sent', async (args) => {
    const empty = await folder({ 'readme.txt': 'no programs here' });
    const programs = await folder({ 'one.py': 'print(1)' });
    const r = await cliResult(['batch', ...args.map((a) => (a === 'EMPTY' ? empty : a === 'DIR' ? programs : a))], env);
    expect([r.code, r.stdout]).toEqual([2, '']);
  });
});

describe('paddock pull', () => {
  beforeEach(() => ollama.reset());

  it('pulls a model: the bar reaches 100% on a terminal, the model is installed, exit 0', async () => {
    ollama.pulls.script({ steps: 5, delayMs: 20 });
    const r = await onTerminal(['pull', 'llama3.2:1b']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('100%');
    expect(r.stdout).toMatch(/pull_\w+ llama3\.2:1b succeeded/);
    expect(ollama.pulls.completed).toContain('llama3.2:1b');
  });

  it('a pull that fails exits 1 with the reason; off a terminal only the outcome line is printed', async () => {
    ollama.pulls.script({ notFound: true });
    const r = await cliResult(['pull', 'nosuch:model'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pull_\w+ nosuch:model failed: \w+: .*does not exist/);
    expect(r.stderr).not.toContain('%');
  });

  it('a bad model name is 4 with the server reason', async () => {
    const r = await cliResult(['pull', 'Not A Model!'], env);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('HTTP 400 validation_error');
  });
});
