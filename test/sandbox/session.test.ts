/**
 * Sessions at the sandbox level (sandbox/session.ts), on real Docker: one
 * container whose /workspace outlives each run, files moved in and out through
 * the agent, and nothing of one session reachable from another.
 */
import { ValidationError } from '../../core/errors';
import { SessionEndedError, type SandboxSession } from '../../sandbox';
import { BASE_LIMITS, containersOfOwner, testSandbox, uniqueId } from './helpers';

const owner = uniqueId('test-session');
const { sandbox, watch } = testSandbox({ ownerId: owner });
const open: SandboxSession[] = [];

async function newSession(limits = BASE_LIMITS): Promise<SandboxSession> {
  const s = await sandbox.openSession({ sessionId: uniqueId('s'), limits });
  open.push(s);
  return s;
}

afterAll(async () => {
  for (const s of open) s.close();
  await sandbox.close();
  expect(await containersOfOwner(owner)).toEqual([]);
});

describe('a sandbox session', () => {
  it('keeps files between runs (and no process: every run still ends with its processes)', async () => {
    const s = await newSession();
    const first = await s.run({ runId: uniqueId('r'), language: 'python', code: 'open("state.txt", "w").write("from run 1")\nimport subprocess\nsubprocess.Popen(["sleep", "1000"])' });
    expect(first.verdict).toBe('ok');
    const second = await s.run({ runId: uniqueId('r'), language: 'bash', code: 'cat state.txt; echo; pgrep -x sleep || echo "no sleep"' });
    expect(second).toMatchObject({ verdict: 'ok', stdout: 'from run 1\nno sleep\n' });
    // The main file is the run's own: a later run of the same language replaces it.
    const third = await s.run({ runId: uniqueId('r'), language: 'python', code: 'print(open("main.py").read().strip())' });
    expect(third.stdout).toBe('print(open("main.py").read().strip())\n');
  });

  it('uploads a file, runs code that reads it and writes an output, downloads it; lists and deletes', async () => {
    const s = await newSession();
    await s.putFiles([{ path: 'in/data.csv', content: Buffer.from('a,b\n1,2\n3,4\n') }]);
    const run = await s.run({ runId: uniqueId('r'), language: 'python', code: 'rows = open("in/data.csv").read().split()[1:]\nopen("out.txt", "w").write(str(sum(int(r.split(",")[1]) for r in rows)))' });
    expect(run.verdict).toBe('ok');
    expect((await s.readFile('out.txt', 1024))?.content.toString()).toBe('6');
    // Replacing a file keeps one file with the new content.
    await s.putFiles([{ path: 'out.txt', content: Buffer.from([0, 255, 1]) }]);
    expect((await s.readFile('out.txt', 1024))?.content).toEqual(Buffer.from([0, 255, 1]));
    expect(await s.listFiles()).toEqual([
      { path: 'in/data.csv', size: 12 },
      { path: 'main.py', size: expect.any(Number) },
      { path: 'out.txt', size: 3 },
    ]);
    expect(await s.deleteFile('out.txt')).toBe(true);
    expect(await s.deleteFile('out.txt')).toBe(false);
    expect(await s.readFile('out.txt', 1024)).toBeNull();
  });

  it('refuses paths that leave /workspace, and never follows a symlink a program planted', async () => {
    const s = await newSession();
    for (const bad of ['../etc/passwd', '/etc/passwd', 'a/../../b', '']) {
      await expect(s.putFiles([{ path: bad, content: Buffer.from('x') }])).rejects.toBeInstanceOf(ValidationError);
      await expect(s.readFile(bad, 1024)).rejects.toBeInstanceOf(ValidationError);
      await expect(s.deleteFile(bad)).rejects.toBeInstanceOf(ValidationError);
    }
    await s.run({ runId: uniqueId('r'), language: 'bash', code: 'ln -s /etc/passwd leak; mkdir d; ln -s /etc d/etc; ln -s /tmp up' });
    expect(await s.readFile('leak', 1 << 20)).toBeNull();
    expect(await s.readFile('d/etc/passwd', 1 << 20)).toBeNull();
    // Writing through a planted directory symlink fails instead of landing outside.
    await expect(s.putFiles([{ path: 'up/x', content: Buffer.from('x') }])).rejects.toThrow(/could not write/);
    const tmp = await s.run({ runId: uniqueId('r'), language: 'bash', code: 'ls /tmp' });
    expect(tmp.stdout).not.toContain('x');
  });

  it('a FIFO a program left where the next run\'s file goes fails that run at once, not at its timeout', async () => {
    const s = await newSession();
    await s.run({ runId: uniqueId('r'), language: 'bash', code: 'rm main.sh; mkfifo main.sh' });
    const next = await s.run({ runId: uniqueId('r'), language: 'bash', code: 'echo never' });
    expect({ verdict: next.verdict, exitCode: next.exitCode }).toEqual({ verdict: 'runtime_error', exitCode: 125 });
    expect(next.stderr).toContain('paddock-boot: cannot write');
    expect(s.isOpen).toBe(true);
    await s.deleteFile('main.sh');
    expect((await s.run({ runId: uniqueId('r'), language: 'bash', code: 'echo back' })).stdout).toBe('back\n');
  });

  it('a run that times out is killed by the agent and the session carries on', async () => {
    const s = await newSession();
    const slow = await s.run({ runId: uniqueId('r'), language: 'bash', code: 'echo kept > f; sleep 30', limits: { timeoutMs: 500 } });
    expect(slow.verdict).toBe('timeout');
    expect(s.isOpen).toBe(true);
    const next = await s.run({ runId: uniqueId('r'), language: 'bash', code: 'cat f' });
    expect(next).toMatchObject({ verdict: 'ok', stdout: 'kept\n' });
  });

  it('one session never reaches another session\'s files', async () => {
    const a = await newSession();
    const b = await newSession();
    await a.putFiles([{ path: 'secret.txt', content: Buffer.from('only-a') }]);
    const look = await b.run({ runId: uniqueId('r'), language: 'bash', code: 'ls -a /workspace /tmp /dev/shm; cat secret.txt /tmp/secret.txt 2>/dev/null; echo none' });
    expect(look.stdout).not.toContain('secret.txt');
    expect(look.stdout.trim().split('\n').at(-1)).toBe('none');
    expect(await b.readFile('secret.txt', 1024)).toBeNull();
  });

  it('ends on an output flood (the container is killed) and on close; then refuses work', async () => {
    const s = await newSession({ ...BASE_LIMITS, outputBytes: 1024 });
    const flood = await s.run({ runId: uniqueId('r'), language: 'bash', code: 'yes' });
    expect(flood.verdict).toBe('output_limit');
    expect(await s.ended).toBe('run_stopped');
    await expect(s.run({ runId: uniqueId('r'), language: 'bash', code: 'true' })).rejects.toBeInstanceOf(SessionEndedError);

    const t = await newSession();
    const id = t.containerId;
    t.close();
    expect(await t.ended).toBe('closed');
    await expect(t.listFiles()).rejects.toBeInstanceOf(SessionEndedError);
    await watch.removed(id); // by the janitor, in the background
  });
});
