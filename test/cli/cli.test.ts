import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';
import { cli, cliResult } from './cli';

let t: TestSystem;
let env: Record<string, string>;

beforeAll(async () => {
  // Long enough for the sleeping program below to be cancelled, not timed out.
  t = await startTestSystem({ SANDBOX_MAX_TIMEOUT_MS: '30000' });
  env = { PADDOCK_URL: t.url, PADDOCK_TOKEN: await t.token('carol') };
});
afterAll(async () => {
  await t?.close();
});

const SLEEPER = 'import time\nprint("tick", flush=True)\ntime.sleep(25)\nprint("never")';

describe('paddock run', () => {
  it('runs a program through `npx paddock`: its stdout, exit code 0', async () => {
    const r = await cliResult(['run', '--language', 'python', '--code', 'print(6*7)'], env, { npx: true });
    expect([r.code, r.stdout]).toEqual([0, '42\n']);
  });

  it('exits 1 when the program fails, with its stderr and the reason', async () => {
    const r = await cliResult(['run', '-l', 'python', '-c', 'import sys\nprint("oops", file=sys.stderr)\nsys.exit(3)'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('oops');
    expect(r.stderr).toMatch(/run_\w+ failed \(result: exit 3, verdict runtime_error/);
  });

  it('passes tests, stdin and a file (language from its extension) and reports each test', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'paddock-cli-'));
    const file = path.join(dir, 'add.py');
    await writeFile(file, 'import sys\ndef add(a, b): return a + b\nprint(sys.stdin.read().upper())\n');
    try {
      const ran = await cliResult(['run', '--file', file, '--stdin', 'hello'], env);
      expect([ran.code, ran.stdout]).toEqual([0, 'HELLO\n']);
      const piped = await cliResult(['run', '--file', file, '--stdin', '-'], env, { stdin: 'from a pipe' });
      expect([piped.code, piped.stdout]).toEqual([0, 'FROM A PIPE\n']);
      const ok = await cliResult(['run', '--file', file, '--test', 'adds=assert add(1, 2) == 3'], env);
      expect(ok.code).toBe(0);
      expect(ok.stderr).toContain('test adds: passed');
      const bad = await cliResult(['run', '--file', file, '--test', 'adds=assert add(1, 2) == 3', '--test', 'wrong=assert add(1, 2) == 4'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/test wrong: failed/);
      expect(bad.stderr).toMatch(/1 of 2 tests did not pass/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--follow streams output live; Ctrl-C on a follower leaves the run; cancel ends it: the follower exits 3', async () => {
    const runner = cli(['run', '--language', 'python', '--code', SLEEPER, '--follow'], env);
    const [, id] = (await runner.waitFor('stderr', /(run_\w+) running/)) as unknown as [string, string];
    await runner.waitFor('stdout', /tick\n/);
    // Live: the output is here while the run still runs.
    expect((await t.call('GET', `/v1/runs/${id}`, { as: 'carol' })).body.status).toBe('running');

    const follower = cli(['follow', id], env);
    await follower.waitFor('stdout', /tick\n/);
    follower.child.kill('SIGINT');
    expect(await follower.exited).toBe(130);
    expect(follower.stderr()).toContain(`stopped following ${id}; it goes on`);

    const cancel = await cliResult(['cancel', id], env);
    expect(cancel.code).toBe(0);
    expect(JSON.parse(cancel.stdout)).toMatchObject({ id });

    expect(await runner.exited).toBe(3);
    expect(runner.stderr()).toContain(`${id} cancelled`);
    expect(runner.stdout()).not.toContain('never');
    expect((await t.waitFor(id, isDone, { as: 'carol' })).status).toBe('cancelled');
  });
});

describe('paddock follow, get, list', () => {
  let id: string;
  let events: { seq: number; type: string }[];

  beforeAll(async () => {
    const created = await t.call('POST', '/v1/runs', { as: 'carol', body: { language: 'python', code: 'print("one")\nprint("two")' } });
    id = created.body.id;
    await t.waitFor(id, isDone, { as: 'carol' });
    events = (await t.call('GET', `/v1/runs/${id}/logs`, { as: 'carol' })).body.items;
  });

  it('follow replays a finished run and exits by its state; --last-event-id resumes after that event', async () => {
    const all = await cliResult(['follow', id], env);
    expect([all.code, all.stdout]).toEqual([0, 'one\ntwo\n']);
    expect(all.stderr).toContain(`${id} succeeded`);

    const lastStdout = events.filter((e) => e.type === 'stdout').at(-1)!.seq;
    const rest = await cliResult(['follow', id, '--last-event-id', String(lastStdout)], env);
    expect([rest.code, rest.stdout]).toEqual([0, '']);
    expect(rest.stderr).not.toContain('running');
    expect(rest.stderr).toContain(`${id} succeeded`);
  });

  it('follow resumes a dropped stream with Last-Event-ID: nothing lost, nothing twice', async () => {
    const seen: (string | undefined)[] = [];
    const upstream = new URL(t.url);
    // Cuts the first event stream right after its first event; passes everything else through.
    const proxy = http.createServer((req, res) => {
      const first = req.url?.endsWith('/events') && seen.push(req.headers['last-event-id'] as string | undefined) === 1;
      const up = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        let text = '';
        ur.on('data', (chunk: Buffer) => {
          if (!first) return void res.write(chunk);
          text += chunk.toString();
          const cut = text.indexOf('\n\n', text.indexOf('id: '));
          if (cut >= 0 && text.includes('id: ')) {
            res.end(text.slice(0, cut + 2));
            ur.destroy();
          }
        });
        ur.on('end', () => res.end());
      });
      req.pipe(up);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const r = await cliResult(['follow', id, '--url', url], env);
      expect([r.code, r.stdout]).toEqual([0, 'one\ntwo\n']);
      expect(r.stderr.match(/ queued/g)).toHaveLength(1);
      expect(seen).toEqual([undefined, '1']);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('get prints the run as JSON; list shows it', async () => {
    const got = await cliResult(['get', id], env);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ id, status: 'succeeded', result: { stdout: 'one\ntwo\n' } });
    const listed = await cliResult(['list', '--status', 'succeeded'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+succeeded\\s+code\\s+python`, 'm'));
    const json = await cliResult(['list', '--json', '--limit', '100'], env);
    expect(JSON.parse(json.stdout).items.map((r: { id: string }) => r.id)).toContain(id);
  });
});

describe('exit codes of the CLI itself', () => {
  it.each([
    [[]],
    [['frobnicate']],
    [['run', '--language', 'python']],
    [['run', '--language', 'python', '--code', 'x', '--nope']],
    [['run', '--code', 'x', '--file', 'y.py']],
    [['run', '--language', 'python', '--file', '/no/such/file.py']],
    [['run', '--language', 'python', '--code', 'x', '--test', 'no-equals-sign']],
    [['get']],
    [['follow', 'run_x', '--last-event-id', 'abc']],
    [['list', '--url', 'ftp://example']],
  ])('bad usage %j: exit 2, nothing sent', async (args) => {
    const r = await cliResult(args, env);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/paddock: |usage: paddock/);
  });

  it('a bad token is 4, with the server\'s reason', async () => {
    const r = await cliResult(['list'], { ...env, PADDOCK_TOKEN: 'not-a-jwt' });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('HTTP 401 unauthorized');
    const flag = await cliResult(['run', '-l', 'python', '-c', 'print(1)', '--token', 'not-a-jwt'], env);
    expect(flag.code).toBe(4);
  });

  it('an unknown run, a refused body and an unreachable server are 4', async () => {
    expect((await cliResult(['get', 'run_nope'], env)).code).toBe(4);
    const refused = await cliResult(['run', '--language', 'cobol', '--code', 'x'], env);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/HTTP 400 validation_error[\s\S]*language/);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = await cliResult(['list', '--url', `http://127.0.0.1:${port}`], env);
    expect(down.code).toBe(4);
    expect(down.stderr).toContain('cannot reach');
  });

  it('help is 0', async () => {
    const r = await cliResult(['--help'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('exit codes');
  });
});
