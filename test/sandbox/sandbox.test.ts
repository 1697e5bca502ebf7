/**
 * The Sandbox contract against real Docker, on the production path (a warm
 * pool, as workers run it): languages, stdin, files, limits, abort, close.
 */
import { SandboxInfraError, ValidationError } from '../../core/errors';
import type { PooledSandbox } from '../../sandbox';
import type { ExecRequest } from '../../sandbox/types';
import { BASE_LIMITS, containersOfOwner, containersOfRun, deferred, SOCKET, testSandbox, uniqueId, type SandboxWatcher } from './helpers';

const ownerId = uniqueId('test-sandbox');
let sandbox: PooledSandbox;
let watch: SandboxWatcher;

function req(partial: Partial<ExecRequest> & Pick<ExecRequest, 'language' | 'code'>): ExecRequest {
  return { runId: uniqueId('run'), limits: BASE_LIMITS, ...partial };
}

beforeAll(() => {
  ({ sandbox, watch } = testSandbox({ ownerId, pool: { size: 2 } }));
});

afterAll(async () => {
  await sandbox.close();
  expect(await containersOfOwner(ownerId)).toEqual([]);
});

describe('languages', () => {
  test.each([
    ['python', 'import sys\nprint("py", sys.version_info[0])', 'py 3\n'],
    ['javascript', 'console.log("js", typeof process.versions.node)', 'js string\n'],
    ['bash', 'echo "sh $BASH_VERSINFO"', 'sh 5\n'],
  ] as const)('%s runs and exits 0', async (language, code, stdout) => {
    const r = await sandbox.run(req({ language, code }));
    expect(r).toMatchObject({ verdict: 'ok', exitCode: 0, signal: null, stdout, stderr: '', truncated: false });
    expect(r.wallMs).toBeGreaterThanOrEqual(0);
  });

  test('stdout and stderr are kept apart, and onOutput sees exactly the kept output', async () => {
    const seen = { stdout: '', stderr: '' };
    const r = await sandbox.run(
      req({
        language: 'python',
        code: 'import sys\nfor i in range(50):\n    print("out", i)\n    print("err", i, file=sys.stderr)\n',
        onOutput: (stream, chunk) => (seen[stream] += chunk),
      }),
    );
    expect(r.verdict).toBe('ok');
    expect(r.stdout).toBe(Array.from({ length: 50 }, (_, i) => `out ${i}\n`).join(''));
    expect(r.stderr).toBe(Array.from({ length: 50 }, (_, i) => `err ${i}\n`).join(''));
    expect(seen).toEqual({ stdout: r.stdout, stderr: r.stderr });
  });

  test('an onOutput that throws does not break the run', async () => {
    const r = await sandbox.run(
      req({
        language: 'bash',
        code: 'echo hello',
        onOutput: () => {
          throw new Error('listener bug');
        },
      }),
    );
    expect(r).toMatchObject({ verdict: 'ok', stdout: 'hello\n' });
  });

  test('multi-byte UTF-8 split across chunks decodes intact', async () => {
    const code = 'import sys\nfor i in range(2000):\n    sys.stdout.write("€日本🙂" * 7)\n    sys.stdout.flush()\n';
    const r = await sandbox.run(req({ language: 'python', code }));
    expect(r.verdict).toBe('ok');
    expect(r.stdout).toBe('€日本🙂'.repeat(7 * 2000));
  });

  test('a program killed by a signal reports it', async () => {
    const r = await sandbox.run(req({ language: 'python', code: 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)' }));
    expect(r).toMatchObject({ verdict: 'runtime_error', exitCode: 139, signal: 'SIGSEGV' });
  });
});

describe('stdin and files', () => {
  test('stdin reaches the program byte for byte (python and javascript)', async () => {
    const stdin = 'first line\nsecond – ünïcode\n'.repeat(1000);
    const py = await sandbox.run(req({ language: 'python', code: 'import sys\nsys.stdout.write(sys.stdin.read())', stdin }));
    expect(py).toMatchObject({ verdict: 'ok', stdout: stdin });
    const js = await sandbox.run(
      req({ language: 'javascript', code: 'process.stdin.pipe(process.stdout)', stdin, limits: { ...BASE_LIMITS, memoryMb: 256 } }),
    );
    expect(js).toMatchObject({ verdict: 'ok', stdout: stdin });
  });

  test('without stdin the program reads EOF at once', async () => {
    const r = await sandbox.run(req({ language: 'python', code: 'import sys\nprint(repr(sys.stdin.read()))' }));
    expect(r).toMatchObject({ verdict: 'ok', stdout: "''\n" });
  });

  test('a program that never reads a large stdin still finishes', async () => {
    const r = await sandbox.run(req({ language: 'bash', code: 'echo ignored', stdin: 'x'.repeat(4 << 20) }));
    expect(r).toMatchObject({ verdict: 'ok', stdout: 'ignored\n' });
  });

  test('files land in the workdir, nested directories included', async () => {
    const r = await sandbox.run(
      req({
        language: 'bash',
        code: 'source lib/util.sh\ngreet\ncat data/in.txt\npwd',
        files: [
          { path: 'lib/util.sh', content: 'greet() { echo "hi from util"; }\n' },
          { path: './data//in.txt', content: 'data ✓\n' },
        ],
      }),
    );
    expect(r).toMatchObject({ verdict: 'ok', stdout: 'hi from util\ndata ✓\n/workspace\n' });
  });

  test.each(['/etc/passwd', '../escape', 'a/../../b', '', 'main.py', 'dir\\file'])(
    'file path %p is rejected before any container exists',
    async (path) => {
      const runId = uniqueId('badpath');
      await expect(sandbox.run({ ...req({ language: 'python', code: 'pass' }), runId, files: [{ path, content: 'x' }] })).rejects.toBeInstanceOf(
        ValidationError,
      );
      expect(() => watch.containerOf(runId)).toThrow(/no container/);
      expect(await containersOfRun(runId)).toEqual([]);
    },
  );
});

describe('limits', () => {
  test('output of exactly the cap is kept whole; one byte more is truncated and killed', async () => {
    const limits = { ...BASE_LIMITS, outputBytes: 1000 };
    const exact = await sandbox.run(req({ language: 'python', code: 'import sys\nsys.stdout.write("a" * 1000)', limits }));
    expect(exact).toMatchObject({ verdict: 'ok', truncated: false, stdout: 'a'.repeat(1000) });
    const over = await sandbox.run(
      req({ language: 'python', code: 'import sys, time\nsys.stdout.write("a" * 1001)\nsys.stdout.flush()\ntime.sleep(100)', limits }),
    );
    expect(over).toMatchObject({ verdict: 'output_limit', truncated: true, stdout: 'a'.repeat(1000), signal: 'SIGKILL' });
  });

  test('the cap counts stdout and stderr together', async () => {
    const limits = { ...BASE_LIMITS, outputBytes: 100 };
    const r = await sandbox.run(
      req({ language: 'bash', code: 'printf "%060d" 0; printf "%060d" 0 >&2; sleep 100', limits }),
    );
    expect(r.verdict).toBe('output_limit');
    expect(r.stdout.length + r.stderr.length).toBe(100);
  });

  test('the wall clock kills a sleeping program and keeps what it printed', async () => {
    const limits = { ...BASE_LIMITS, timeoutMs: 1000 };
    const r = await sandbox.run(req({ language: 'bash', code: 'echo started; sleep 100; echo never', limits }));
    expect(r).toMatchObject({ verdict: 'timeout', stdout: 'started\n', exitCode: 137, signal: 'SIGKILL' });
    expect(r.wallMs).toBeGreaterThanOrEqual(1000);
    expect(Object.keys(r).sort()).toEqual(['exitCode', 'signal', 'stderr', 'stdout', 'truncated', 'verdict', 'wallMs']);
  });

  test('memory beyond the limit is an OOM kill, not a timeout', async () => {
    const limits = { ...BASE_LIMITS, memoryMb: 48 };
    const r = await sandbox.run(req({ language: 'python', code: 'x = b"y" * (200 << 20)\nprint("survived")', limits }));
    expect(r).toMatchObject({ verdict: 'memory_exceeded', exitCode: 137, signal: 'SIGKILL', stdout: '' });
  });

  test('wallMs covers the program’s run time', async () => {
    const r = await sandbox.run(req({ language: 'bash', code: 'sleep 0.3' }));
    expect(r.verdict).toBe('ok');
    expect(r.wallMs).toBeGreaterThanOrEqual(300);
  });

  test('invalid limits are a ValidationError', async () => {
    await expect(sandbox.run(req({ language: 'bash', code: 'true', limits: { ...BASE_LIMITS, memoryMb: 0 } }))).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

describe('abort', () => {
  test('aborting kills the container: verdict killed, container removed', async () => {
    const ready = deferred();
    const controller = new AbortController();
    const runId = uniqueId('abort');
    const running = sandbox.run({
      ...req({ language: 'bash', code: 'echo ready; sleep 100' }),
      runId,
      signal: controller.signal,
      onOutput: (_s, chunk) => chunk.includes('ready') && ready.resolve(),
    });
    await ready.promise;
    controller.abort();
    const r = await running;
    expect(r).toMatchObject({ verdict: 'killed', stdout: 'ready\n' });
    await watch.removed(watch.containerOf(runId).containerId);
  });

  test('an already aborted signal runs nothing', async () => {
    const runId = uniqueId('preaborted');
    const r = await sandbox.run({ ...req({ language: 'bash', code: 'echo hi' }), runId, signal: AbortSignal.abort() });
    expect(r).toMatchObject({ verdict: 'killed', exitCode: null, stdout: '' });
    expect(() => watch.containerOf(runId)).toThrow(/no container/);
  });
});

describe('close', () => {
  test('close() kills runs in flight (verdict killed), removes their containers, and is idempotent', async () => {
    const owner = uniqueId('test-close');
    const { sandbox: sb } = testSandbox({ ownerId: owner, pool: { size: 2 } });
    const readies = [deferred(), deferred()];
    const runs = readies.map((ready) =>
      sb.run(req({ language: 'bash', code: 'echo ready; sleep 100', onOutput: (_s, c) => c.includes('ready') && ready.resolve() })),
    );
    await Promise.all(readies.map((d) => d.promise));
    const first = sb.close();
    const second = sb.close();
    expect(second).toBe(first);
    await first;
    for (const r of await Promise.all(runs)) expect(r.verdict).toBe('killed');
    expect(await containersOfOwner(owner)).toEqual([]);
    await expect(sb.run(req({ language: 'bash', code: 'true' }))).rejects.toBeInstanceOf(SandboxInfraError);
    await sb.close();
  });
});

describe('infrastructure failures throw SandboxInfraError', () => {
  test('missing image (never pulled)', async () => {
    const owner = uniqueId('test-noimage');
    const { sandbox: sb } = testSandbox({ image: 'paddock-no-such-image:v0', ownerId: owner });
    await expect(sb.run(req({ language: 'bash', code: 'true' }))).rejects.toBeInstanceOf(SandboxInfraError);
    await sb.close();
    expect(await containersOfOwner(owner)).toEqual([]);
  });

  test('unreachable Docker socket', async () => {
    const { sandbox: sb } = testSandbox({ socketPath: '/nonexistent/docker.sock', ownerId: uniqueId('x'), pool: { size: 1 } });
    await expect(sb.run(req({ language: 'bash', code: 'true' }))).rejects.toBeInstanceOf(SandboxInfraError);
    await sb.close();
  });
});
