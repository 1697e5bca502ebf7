import { parseProbe } from '../../core/runtimes';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/** GET /v1/languages: versions as the sandbox image really has them, and the configured limit maxima. */
let t: TestSystem;

beforeAll(async () => {
  t = await startTestSystem({ SANDBOX_MAX_PIDS: '48', SANDBOX_TMPFS_MB: '32' });
});
afterAll(async () => {
  await t?.close();
});

/** The worker probes the image in the background after start: wait for its answer (bounded). */
async function probed(): Promise<any> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await t.call('GET', '/v1/languages');
    expect(res.status).toBe(200);
    if (res.body.probedAt) return res.body;
    if (Date.now() > deadline) throw new Error(`no probe result: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('needs a token', async () => {
  expect((await fetch(`${t.url}/v1/languages`)).status).toBe(401);
});

it('reports each language with the version its runtime reports inside the sandbox', async () => {
  const body = await probed();
  expect(body.image).toBe(t.config.SANDBOX_IMAGE);
  expect(body.languages.map((l: any) => l.name)).toEqual(['python', 'javascript', 'bash']);
  // Ask the image another way, through an ordinary run: each version must be what the runtime says.
  const created = await t.call('POST', '/v1/runs', { body: { language: 'bash', code: 'python3 --version; node --version; bash --version | head -n 1' } });
  const run = await t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('succeeded');
  const [python, node, bash] = run.result.stdout.trim().split('\n');
  const version = (name: string) => body.languages.find((l: any) => l.name === name).version as string;
  expect(python).toBe(`Python ${version('python')}`);
  expect(node).toBe(`v${version('javascript')}`);
  expect(bash).toContain(`version ${version('bash')}(`);
});

it('reports the configured maxima and the floors a request may not go below', async () => {
  const body = (await t.call('GET', '/v1/languages')).body;
  expect(body.limits.maxima).toEqual({ timeoutMs: 5000, memoryMb: 128, cpus: 1, pids: 48, outputBytes: 1_048_576 });
  expect(body.limits.tmpfsMb).toBe(32);
  expect(body.limits.minima).toMatchObject({ memoryMb: 6, pids: 1 });
  // A request above a maximum it reports is refused, naming the limit.
  const over = await t.call('POST', '/v1/runs', { body: { language: 'bash', code: 'true', limits: { pids: 49 } } });
  expect(over.status).toBe(400);
  expect(JSON.stringify(over.body)).toContain('pids');
});

it('reads only plausible versions from the probe output', () => {
  expect(parseProbe('python=3.11.2\njavascript=18.19.0\nbash=5.2.15\n')).toEqual({ python: '3.11.2', javascript: '18.19.0', bash: '5.2.15' });
  expect(parseProbe('python=\njavascript=command not found\nruby=3.2\n')).toEqual({});
});
