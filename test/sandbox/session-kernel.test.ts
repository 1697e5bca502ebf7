/**
 * The persistent Python interpreter of a session (SessionRunRequest.persistent;
 * agent.py `Kernel`, kernel.py), on real Docker: variables kept across
 * persistent runs, exits and exceptions survived, deaths reported and recovered
 * from, and a run's processes, stdin and output still its own.
 */
import { ValidationError } from '../../core/errors';
import type { SandboxSession, SessionRunRequest } from '../../sandbox';
import type { ExecResult } from '../../sandbox/types';
import { BASE_LIMITS, containersOfOwner, testSandbox, uniqueId } from './helpers';

const owner = uniqueId('test-kernel');
const { sandbox } = testSandbox({ ownerId: owner });
const open: SandboxSession[] = [];

async function newSession(limits = BASE_LIMITS): Promise<SandboxSession> {
  const s = await sandbox.openSession({ sessionId: uniqueId('s'), limits });
  open.push(s);
  return s;
}

/** A persistent python run (other fields may override). */
function py(s: SandboxSession, code: string, more: Partial<SessionRunRequest> = {}): Promise<ExecResult> {
  return s.run({ runId: uniqueId('r'), language: 'python', code, persistent: true, ...more });
}

/** What a run did, in one object, so a failure shows all of it. */
const seen = (r: ExecResult) => ({ verdict: r.verdict, exitCode: r.exitCode, stdout: r.stdout, interpreter: r.interpreter, stderr: r.stderr.slice(-800) });

afterAll(async () => {
  for (const s of open) s.close();
  await sandbox.close();
  expect(await containersOfOwner(owner)).toEqual([]);
});

describe('a session with a persistent interpreter', () => {
  it('keeps variables between persistent runs, files for every run, and variables from plain runs', async () => {
    const s = await newSession();
    const first = await py(s, 'x = 41\ndef inc(v):\n    return v + 1\nopen("state.txt", "w").write("from run 1")');
    expect(seen(first)).toMatchObject({ verdict: 'ok', interpreter: { persistent: true, fresh: true } });
    expect(first.interpreter?.lost).toBeUndefined();

    const second = await py(s, 'import sys, os\nprint(inc(x), open("state.txt").read(), __name__, sys.argv, os.getcwd(), __file__)');
    expect(seen(second)).toMatchObject({
      verdict: 'ok',
      stdout: "42 from run 1 __main__ ['main.py'] /workspace /workspace/main.py\n",
      interpreter: { persistent: true, fresh: false },
    });

    // A plain run sees the files but not the variables, has no `interpreter`, and leaves the kernel alone.
    const plain = await s.run({ runId: uniqueId('r'), language: 'python', code: 'print(open("state.txt").read(), "x" in globals())' });
    expect(seen(plain)).toMatchObject({ verdict: 'ok', stdout: 'from run 1 False\n' });
    expect(plain.interpreter).toBeUndefined();
    await s.run({ runId: uniqueId('r'), language: 'bash', code: 'echo bash was here > b.txt' });

    const third = await py(s, 'print(x, open("b.txt").read().strip())');
    expect(seen(third)).toMatchObject({ verdict: 'ok', stdout: '41 bash was here\n', interpreter: { fresh: false } });
  });

  it('SystemExit gives its exit status and the kernel lives on', async () => {
    const s = await newSession();
    await py(s, 'kept = "yes"');
    const exited = await py(s, 'import sys\nprint("before")\nsys.exit(3)\nprint("never")');
    expect(seen(exited)).toMatchObject({ verdict: 'runtime_error', exitCode: 3, stdout: 'before\n', interpreter: { fresh: false } });
    expect(exited.interpreter?.lost).toBeUndefined();
    const message = await py(s, 'raise SystemExit("bye")');
    expect(seen(message)).toMatchObject({ exitCode: 1, stderr: 'bye\n' });
    const zero = await py(s, 'raise SystemExit');
    expect(seen(zero)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const after = await py(s, 'print(kept)');
    expect(seen(after)).toMatchObject({ verdict: 'ok', stdout: 'yes\n', interpreter: { fresh: false } });
  });

  it('an uncaught exception gives exit 1 and the traceback of the script only; variables survive', async () => {
    const s = await newSession();
    await py(s, 'total = 10');
    const failed = await py(s, 'total += 5\ndef boom():\n    return 1 / 0\nboom()');
    expect(seen(failed)).toMatchObject({ verdict: 'runtime_error', exitCode: 1, interpreter: { fresh: false } });
    expect(failed.stderr).toMatch(/^Traceback \(most recent call last\):\n {2}File "\/workspace\/main.py", line 4, in <module>\n/);
    expect(failed.stderr).toContain('ZeroDivisionError: division by zero');
    expect(failed.stderr).not.toContain('kernel.py');
    const syntax = await py(s, 'def (:');
    expect(seen(syntax)).toMatchObject({ exitCode: 1 });
    expect(syntax.stderr).toContain('SyntaxError');
    const after = await py(s, 'print(total)');
    // The statement before the exception ran: its effect is kept, as in a notebook.
    expect(seen(after)).toMatchObject({ verdict: 'ok', stdout: '15\n', interpreter: { fresh: false } });
  });

  it.each([
    ['os._exit(7)', 'import os\nprint("going", flush=True)\nos._exit(7)', 7],
    ['SIGKILL to itself', 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)', 137],
    ['a segfault', 'import ctypes\nctypes.string_at(0)', 139],
  ])('a kernel that dies (%s) is reported lost; the next persistent run gets a fresh one', async (_name, code, exitCode) => {
    const s = await newSession();
    await py(s, 'v = 1');
    const died = await py(s, code);
    expect(seen(died)).toMatchObject({ exitCode, interpreter: { persistent: true, fresh: false, lost: true } });
    if (exitCode === 7) expect(died.stdout).toBe('going\n');
    expect(s.isOpen).toBe(true);
    const next = await py(s, 'print("v" in globals())');
    expect(seen(next)).toMatchObject({ verdict: 'ok', stdout: 'False\n', interpreter: { fresh: true } });
    expect(next.interpreter?.lost).toBeUndefined();
  });

  it('a persistent run that times out is killed with its kernel; the session carries on with a fresh one', async () => {
    const s = await newSession();
    await py(s, 'v = 1\nopen("f", "w").write("kept")');
    const slow = await py(s, 'while True: pass', { limits: { timeoutMs: 500 } });
    expect(seen(slow)).toMatchObject({ verdict: 'timeout', interpreter: { fresh: false, lost: true } });
    expect(s.isOpen).toBe(true);
    const next = await py(s, 'print("v" in globals(), open("f").read())');
    expect(seen(next)).toMatchObject({ verdict: 'ok', stdout: 'False kept\n', interpreter: { fresh: true } });
  });

  it('processes a persistent run started die with it; a forked copy of the kernel ends at the end of the script', async () => {
    const s = await newSession();
    const started = await py(s, 'import subprocess\np = subprocess.Popen(["sleep", "1000"])\nq = subprocess.Popen(["setsid", "sleep", "1001"])\nprint(p.pid)');
    expect(started.verdict).toBe('ok');
    // Dead: until the kernel reaps them (at its next run) they are zombies, which pgrep would list.
    const look = await s.run({ runId: uniqueId('r'), language: 'bash', code: 'ps -eo stat=,comm= | grep sleep | grep -v "^Z" || echo "no live sleep"' });
    expect(look.stdout).toBe('no live sleep\n');
    const gone = await py(s, 'import os\nprint(os.path.exists(f"/proc/{p.pid}"), os.path.exists(f"/proc/{q.pid}"))');
    expect(seen(gone)).toMatchObject({ verdict: 'ok', stdout: 'False False\n', interpreter: { fresh: false } });

    // The child falls off the end of main.py like a forked `python3 main.py` would: it must
    // not go on as a second kernel (it would answer for the next run).
    const forked = await py(s, 'import os\nchild = os.fork()\nif child:\n    os.waitpid(child, 0)\nprint("parent" if child else "child")');
    expect(seen(forked)).toMatchObject({ verdict: 'ok', stdout: 'child\nparent\n' });
    const next = await py(s, 'print("once")');
    expect(seen(next)).toMatchObject({ verdict: 'ok', stdout: 'once\n', interpreter: { fresh: false } });
  });

  it('threads left running are stopped between runs', async () => {
    const s = await newSession();
    await py(s, 'import threading, time\nticks = 0\ndef tick():\n    global ticks\n    while True:\n        ticks += 1\n        time.sleep(0.01)\nthreading.Thread(target=tick, daemon=True).start()');
    const before = await py(s, 'print(ticks)');
    await s.run({ runId: uniqueId('r'), language: 'bash', code: 'sleep 1' });
    const after = await py(s, 'print(ticks)');
    const [a, b] = [Number(before.stdout), Number(after.stdout)];
    expect(a).toBeGreaterThan(0);
    // A second between the runs would be ~100 ticks; only the runs' own moments count.
    expect(b - a).toBeLessThan(40);
  });

  it('gives each run its own stdin, with nothing read ahead from an earlier one', async () => {
    const s = await newSession();
    const first = await py(s, 'first = input()', { stdin: 'a\nb\nleft over\n' });
    expect(first.verdict).toBe('ok');
    const second = await py(s, 'print(first, input())', { stdin: 'c\n' });
    expect(seen(second)).toMatchObject({ verdict: 'ok', stdout: 'a c\n' });
    const third = await py(s, 'import sys\nprint(repr(sys.stdin.read()))');
    expect(seen(third)).toMatchObject({ verdict: 'ok', stdout: "''\n" });
  });

  it('counts the kernel\'s CPU in the run', async () => {
    const s = await newSession();
    await py(s, 'pass');
    const busy = await py(s, 'import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4: pass');
    expect(busy.verdict).toBe('ok');
    expect(busy.cpuMs).toBeGreaterThanOrEqual(300);
    const idle = await py(s, 'pass');
    expect(idle.cpuMs).toBeLessThan(100);
  });

  it('holds the output cap (which ends the session, as for any run)', async () => {
    const s = await newSession({ ...BASE_LIMITS, outputBytes: 1024 });
    const flood = await py(s, 'while True: print("x" * 1000)');
    expect({ verdict: flood.verdict, truncated: flood.truncated }).toEqual({ verdict: 'output_limit', truncated: true });
    expect(Buffer.byteLength(flood.stdout) + Buffer.byteLength(flood.stderr)).toBeLessThanOrEqual(1024);
    expect(await s.ended).toBe('run_stopped');
  });

  it('refuses persistent runs of other languages before anything runs', async () => {
    const s = await newSession();
    for (const language of ['javascript', 'bash'] as const) {
      await expect(s.run({ runId: uniqueId('r'), language, code: 'true', persistent: true })).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(s.run({ runId: uniqueId('r'), language: 'javascript', code: 'true', persistent: true })).rejects.toThrow(/python only/);
    expect((await py(s, 'print("still fine")')).stdout).toBe('still fine\n');
  });
});
