import Docker from 'dockerode';
import { request } from 'node:http';
import { readSse } from '../helpers/sse';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Sessions over HTTP, on the real system (Redis, Docker, the MongoDB driver):
 * a sandbox kept for its owner across runs, files in and out, the lifetime
 * rules, the per-user cap, isolation between users and between sessions.
 */
const CAP = 3;
let t: TestSystem;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

beforeAll(async () => {
  t = await startTestSystem({
    SESSION_MAX_PER_USER: String(CAP),
    SESSION_FILE_MAX_BYTES: String(64 * 1024),
    RUN_FILES_MAX_COUNT: '2',
    SANDBOX_MAX_TIMEOUT_MS: '10000',
  });
});
afterAll(async () => {
  await t?.close();
});

const auth = async (as = 'alice') => ({ authorization: `Bearer ${await t.token(as)}` });

async function open(body: Record<string, unknown> = { language: 'python' }, as = 'alice'): Promise<string> {
  const res = await t.call('POST', '/v1/sessions', { body, as });
  expect([res.status, res.body.status]).toEqual([201, 'open']);
  expect(res.headers.get('location')).toBe(`/v1/sessions/${res.body.id}`);
  return res.body.id as string;
}

async function close(id: string, as = 'alice'): Promise<void> {
  const res = await t.call('DELETE', `/v1/sessions/${id}`, { as });
  expect([res.status, res.body.status, res.body.endReason]).toEqual([200, 'ended', 'closed']);
}

async function run(id: string, body: Record<string, unknown>, as = 'alice'): Promise<any> {
  const res = await t.call('POST', `/v1/sessions/${id}/runs`, { body, as });
  expect(res.status).toBe(202);
  return t.waitFor(res.body.id, isDone, { as });
}

async function put(id: string, path: string, bytes: Buffer, as = 'alice'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.url}/v1/sessions/${id}/files/${path}`, { method: 'PUT', headers: { ...(await auth(as)), 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) });
  return { status: res.status, body: await res.json() };
}

async function download(id: string, path: string, as = 'alice'): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(`${t.url}/v1/sessions/${id}/files/${path}`, { headers: await auth(as) });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

/** A request sent byte for byte (fetch would normalise `..` away). */
async function raw(method: string, path: string): Promise<{ status: number; code?: string }> {
  const headers = await auth();
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { ...headers, 'content-type': 'application/octet-stream' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: body ? JSON.parse(body).error?.code : undefined }));
    });
    req.on('error', reject);
    req.end(method === 'PUT' ? 'x' : undefined);
  });
}

async function containerOf(id: string): Promise<string> {
  const res = await t.call('GET', `/v1/sessions/${id}`, { as: 'alice', role: 'admin' });
  expect(typeof res.body.containerId).toBe('string');
  return res.body.containerId as string;
}

async function containerExists(containerId: string): Promise<boolean> {
  return docker.getContainer(containerId).inspect().then(() => true, () => false);
}

/** The session's end removes its container; Docker's removal finishes a moment after the end is recorded. */
async function waitGone(containerId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (await containerExists(containerId)) {
    if (Date.now() > deadline) throw new Error(`container ${containerId} still exists`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitEnded(id: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.call('GET', `/v1/sessions/${id}`);
    if (res.body.status === 'ended') return res.body;
    if (Date.now() > deadline) throw new Error(`session ${id} did not end: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a session over HTTP', () => {
  it("keeps /workspace between runs: the second run reads the file the first wrote; processes don't stay", async () => {
    const id = await open();
    const first = await run(id, { code: 'open("state.txt", "w").write("from run 1")\nimport subprocess\nsubprocess.Popen(["sleep", "600"])\nprint("one")' });
    expect([first.status, first.result.stdout]).toEqual(['succeeded', 'one\n']);
    const second = await run(id, { language: 'bash', code: 'cat state.txt; echo; pgrep -x sleep || echo "no sleep"' });
    expect([second.status, second.result.stdout]).toEqual(['succeeded', 'from run 1\nno sleep\n']);
    const runs = await t.call('GET', `/v1/sessions/${id}/runs`);
    expect(runs.body.items.map((r: any) => r.id)).toEqual([second.id, first.id]);
    await close(id);
    const ended = await t.call('GET', `/v1/sessions/${id}`);
    expect(ended.body).toMatchObject({ status: 'ended', endReason: 'closed', runs: 2 });
  });

  it('persistent mode (python): the second run sees the first one\'s variable; a crash says so and the session carries on', async () => {
    const id = await open();
    const first = await run(id, { code: 'counter = 41\nopen("kept.txt", "w").write("file")', persistent: true });
    expect([first.status, first.result.interpreter]).toEqual(['succeeded', { persistent: true, fresh: true }]);
    const second = await run(id, { code: 'counter += 1\nprint(counter, open("kept.txt").read())', persistent: true });
    expect([second.result.stdout, second.result.interpreter]).toEqual(['42 file\n', { persistent: true, fresh: false }]);
    // A plain run in the same session sees the files, not the variables.
    const plain = await run(id, { code: 'print("counter" in globals(), open("kept.txt").read())' });
    expect([plain.result.stdout, plain.result.interpreter]).toEqual(['False file\n', undefined]);
    const crash = await run(id, { code: 'import os\nos._exit(7)', persistent: true });
    expect(crash.result).toMatchObject({ exitCode: 7, interpreter: { persistent: true, fresh: false, lost: true } });
    const after = await run(id, { code: 'print("counter" in globals())', persistent: true });
    expect([after.status, after.result.stdout, after.result.interpreter]).toEqual(['succeeded', 'False\n', { persistent: true, fresh: true }]);
    expect((await t.call('GET', `/v1/sessions/${id}`)).body.status).toBe('open');
    await close(id);
  });

  it('uploads a file, runs code that reads it and writes an output, downloads the output; lists and deletes', async () => {
    const id = await open();
    const up = await put(id, 'in/data.csv', Buffer.from('a,b\n1,2\n3,4\n'));
    expect(up).toEqual({ status: 201, body: { path: 'in/data.csv', size: 12 } });
    const res = await run(id, { code: 'rows = open("in/data.csv").read().split()[1:]\nopen("out/sum.txt", "w").write(str(sum(int(x) for r in rows for x in r.split(","))))'.replace('open("out', '__import__("os").makedirs("out", exist_ok=True) or open("out') });
    expect(res.status).toBe('succeeded');
    const got = await download(id, 'out/sum.txt');
    expect([got.status, got.bytes.toString()]).toEqual([200, '10']);
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-disposition')).toMatch(/^attachment/);
    const list = await t.call('GET', `/v1/sessions/${id}/files`);
    expect(list.body.items.map((f: any) => f.path)).toEqual(['in/data.csv', 'main.py', 'out/sum.txt']);
    expect((await t.call('DELETE', `/v1/sessions/${id}/files/in/data.csv`)).status).toBe(204);
    expect((await t.call('DELETE', `/v1/sessions/${id}/files/in/data.csv`)).body.error.code).toBe('not_found');
    expect((await download(id, 'in/data.csv')).status).toBe(404);
    // Binary bytes come back as they went in.
    const bytes = Buffer.from([0, 255, 1, 254, 10, 13]);
    await put(id, 'blob.bin', bytes);
    expect((await download(id, 'blob.bin')).bytes.equals(bytes)).toBe(true);
    await close(id);
  });

  it('refuses path traversal and absolute paths in uploads and downloads, and files over the cap', async () => {
    const id = await open();
    for (const path of ['..%2Fescape', '%2E%2E/escape', 'a/%2e%2e/%2e%2e/escape', '%2Fetc%2Fpasswd', 'a%5Cb']) {
      for (const method of ['PUT', 'GET', 'DELETE']) {
        expect([method, path, await raw(method, `/v1/sessions/${id}/files/${path}`)]).toEqual([method, path, { status: 400, code: 'validation_error' }]);
      }
    }
    // A path a directory holds, or one below a file: the write is refused, the session carries on.
    await put(id, 'dir/file.txt', Buffer.from('x'));
    for (const path of ['dir', 'dir/file.txt/below']) {
      const res = await put(id, path, Buffer.from('y'));
      expect([path, res.status, res.body.error.code]).toEqual([path, 409, 'conflict']);
    }
    expect((await download(id, 'dir/file.txt')).bytes.toString()).toBe('x');
    const big = await put(id, 'big.bin', Buffer.alloc(64 * 1024 + 1));
    expect([big.status, big.body.error.code]).toEqual([413, 'payload_too_large']);
    // A symlink a program made is not followed on download.
    await run(id, { language: 'bash', code: 'ln -s /etc/passwd link' });
    expect((await download(id, 'link')).status).toBe(404);
    await close(id);
  });

  it('collects a run\'s outputs within the caps, like any run', async () => {
    const id = await open();
    const res = await run(id, { language: 'bash', code: 'for i in 1 2 3; do echo $i > f$i.txt; done', outputs: ['*.txt'] });
    expect(res.result.files.map((f: any) => f.path)).toEqual(['f1.txt', 'f2.txt']);
    expect(res.result.filesDropped).toBe(1);
    const file = await fetch(`${t.url}/v1/runs/${res.id}/files/f2.txt`, { headers: await auth() });
    expect(await file.text()).toBe('2\n');
    await close(id);
  });

  it('is 404 for another user, on every route', async () => {
    const id = await open();
    const paths: [string, string, unknown?][] = [
      ['GET', `/v1/sessions/${id}`], ['DELETE', `/v1/sessions/${id}`], ['GET', `/v1/sessions/${id}/runs`],
      ['POST', `/v1/sessions/${id}/runs`, { code: 'print(1)' }], ['GET', `/v1/sessions/${id}/files`],
      ['GET', `/v1/sessions/${id}/files/main.py`], ['DELETE', `/v1/sessions/${id}/files/main.py`],
    ];
    for (const [method, path, body] of paths) {
      const res = await t.call(method, path, { as: 'mallory', body });
      expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 404, 'not_found']);
    }
    expect((await put(id, 'x', Buffer.from('x'), 'mallory')).status).toBe(404);
    expect((await readSse(`${t.url}/v1/sessions/${id}/events`, { headers: await auth('mallory') })).status).toBe(404);
    expect((await t.call('GET', '/v1/sessions', { as: 'mallory' })).body.items).toEqual([]);
    // Still open for its owner.
    expect((await t.call('GET', `/v1/sessions/${id}`)).body.status).toBe('open');
    await close(id);
  });

  it("one session's runs cannot reach another session's files", async () => {
    const a = await open();
    const b = await open();
    const name = `secret-${Date.now()}.txt`;
    await put(a, name, Buffer.from('only in a'));
    const res = await run(b, { language: 'bash', code: `ls -A /workspace; find / -name ${name} -not -path '/proc/*' 2>/dev/null; echo done` });
    expect(res.result.stdout).toBe('main.sh\ndone\n');
    expect((await download(b, name)).status).toBe(404);
    expect((await download(a, name)).bytes.toString()).toBe('only in a');
    await close(a);
    await close(b);
  });

  it('ends after its idle TTL, removing its container; a run then is 409 session_ended', async () => {
    const id = await open({ language: 'python', idleTtlMs: 1500 });
    const container = await containerOf(id);
    await run(id, { code: 'print(1)' }); // activity: the TTL counts from the end of this run
    const ended = await waitEnded(id);
    expect(ended).toMatchObject({ status: 'ended', endReason: 'idle_timeout', runs: 1 });
    expect(new Date(ended.endedAt).getTime() - new Date(ended.openedAt).getTime()).toBeGreaterThanOrEqual(1500);
    await waitGone(container);
    const late = await t.call('POST', `/v1/sessions/${id}/runs`, { body: { code: 'print(1)' } });
    expect([late.status, late.body.error.code, late.body.error.details]).toEqual([409, 'session_ended', { endReason: 'idle_timeout' }]);
    expect((await t.call('GET', `/v1/sessions/${id}/files`)).body.error.code).toBe('session_ended');
    expect((await t.call('DELETE', `/v1/sessions/${id}`)).status).toBe(409);
  });

  it('ends at its maximum lifetime, busy or not', async () => {
    const id = await open({ language: 'bash', maxLifetimeMs: 2000, idleTtlMs: 60_000 });
    const busy = await t.call('POST', `/v1/sessions/${id}/runs`, { body: { code: 'sleep 8' } });
    const ended = await waitEnded(id);
    expect(ended.endReason).toBe('max_lifetime');
    const r = await t.waitFor(busy.body.id, isDone);
    expect(r.status).not.toBe('succeeded');
  });

  it('caps the sessions one user has open (429), and frees the slot when one ends', async () => {
    const ids = [];
    for (let i = 0; i < CAP; i++) ids.push(await open({ language: 'bash' }, 'capped'));
    const over = await t.call('POST', '/v1/sessions', { body: { language: 'bash' }, as: 'capped' });
    expect([over.status, over.body.error.code]).toEqual([429, 'rate_limited']);
    expect(over.headers.get('retry-after')).toBe('5');
    const listed = await t.call('GET', '/v1/sessions', { as: 'capped' });
    expect(listed.body.items.filter((s: any) => s.status === 'open')).toHaveLength(CAP); // the refused one was not kept
    expect((await t.call('POST', '/v1/sessions', { body: { language: 'bash' }, as: 'other-user' })).status).toBe(201);
    await close(ids[0]!, 'capped');
    ids[0] = await open({ language: 'bash' }, 'capped');
    for (const id of ids) await close(id, 'capped');
  });

  it('streams its own events: opened, each run, files, end', async () => {
    const id = await open({ language: 'bash' });
    const r = await run(id, { code: 'echo hi' });
    await put(id, 'note.txt', Buffer.from('n'));
    const stream = readSse(`${t.url}/v1/sessions/${id}/events`, { headers: await auth() });
    await close(id);
    const { status, events } = await stream;
    expect(status).toBe(200);
    const session = events.filter((e) => e.event === 'session').map((e) => JSON.parse(e.data));
    expect(session.map((d) => d.event)).toEqual(['opened', 'run_started', 'run_ended', 'file_written']);
    expect(session[2]).toMatchObject({ runId: r.id, status: 'succeeded' });
    expect(events.at(-1)).toMatchObject({ event: 'end' });
  });

  it("holds its runs to the session's limits: a run may lower timeoutMs and outputBytes, asking for more is a 400", async () => {
    const id = await open({ language: 'bash', limits: { timeoutMs: 3000, outputBytes: 5000, memoryMb: 64 } });
    const over = await t.call('POST', `/v1/sessions/${id}/runs`, { body: { code: 'echo x', limits: { timeoutMs: 4000, outputBytes: 6000 } } });
    expect([over.status, over.body.error.code, over.body.error.details]).toEqual([400, 'validation_error', [
      { path: ['limits', 'timeoutMs'], message: 'at most 3000' }, { path: ['limits', 'outputBytes'], message: 'at most 5000' },
    ]]);
    expect(over.body.error.message).toBe("limits exceed the session's limits");
    const lower = await run(id, { code: 'echo x', limits: { timeoutMs: 2000 } });
    expect(lower.limits).toMatchObject({ timeoutMs: 2000, outputBytes: 5000, memoryMb: 64 });
    const plain = await run(id, { code: 'echo x' });
    expect(plain.limits).toMatchObject({ timeoutMs: 3000, outputBytes: 5000, memoryMb: 64 });
    await close(id);
  });

  it("takes an upload's body only after its checks: a declared size over the cap is a 413 before any byte is sent", async () => {
    const id = await open({ language: 'bash' });
    const { port } = new URL(t.url);
    const headers = { ...(await auth()), 'content-type': 'application/octet-stream', 'content-length': 64 * 1024 + 1 };
    const reply = await new Promise<{ status: number; code: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/v1/sessions/${id}/files/big.bin`, method: 'PUT', headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, code: JSON.parse(body).error.code });
        });
      });
      req.on('error', reject);
      req.flushHeaders(); // and never the body
    });
    expect(reply).toEqual({ status: 413, code: 'payload_too_large' });
    expect((await put(id, 'small.txt', Buffer.from('fits'))).status).toBe(201);
    await close(id);
  });

  it('refuses bad requests with 400 and stores nothing', async () => {
    const bad: [string, unknown][] = [
      ['/v1/sessions', { language: 'cobol' }],
      ['/v1/sessions', { language: 'python', limits: { memoryMb: 1_000_000 } }],
      ['/v1/sessions', { language: 'python', idleTtlMs: 10 }],
      ['/v1/sessions', { language: 'python', maxLifetimeMs: 10 * 24 * 3600_000 }],
      ['/v1/sessions', { language: 'python', surprise: true }],
    ];
    for (const [path, body] of bad) expect([body, (await t.call('POST', path, { body, as: 'bad-input' })).status]).toEqual([body, 400]);
    expect((await t.call('GET', '/v1/sessions', { as: 'bad-input' })).body.items).toEqual([]);
    const id = await open({ language: 'javascript' });
    const runs: unknown[] = [{ code: 'x', persistent: true }, { code: '' }, { code: 'x', files: [{ path: '../x', content: '' }] }, { code: 'x', tests: [] }];
    for (const body of runs) expect([body, (await t.call('POST', `/v1/sessions/${id}/runs`, { body })).status]).toEqual([body, 400]);
    expect((await t.call('GET', `/v1/sessions/${id}/runs`)).body.items).toEqual([]);
    expect((await t.call('GET', '/v1/sessions/ses_nope')).status).toBe(404);
    await close(id);
  });
});
