/**
 * The warm pool and opt-in warm reuse against real Docker: single use, refill,
 * recovery, per-run limits, isolation between reused runs, retirement, close.
 * Waits are on the sandbox's own events (SandboxWatcher), never on sleeps.
 */
import { SandboxInfraError } from '../../core/errors';
import type { ExecRequest } from '../../sandbox/types';
import { reuseFixtures } from '../fixtures/hostile/reuse';
import { BASE_LIMITS, containerExists, containersOfOwner, docker, testSandbox, uniqueId } from './helpers';

function req(partial: Partial<ExecRequest> & Pick<ExecRequest, 'language' | 'code'>): ExecRequest {
  return { runId: uniqueId('run'), limits: BASE_LIMITS, ...partial };
}

const owners: string[] = [];
const closers: (() => Promise<void>)[] = [];
function make(opts: Parameters<typeof testSandbox>[0] extends infer O ? Omit<O, 'ownerId'> : never) {
  const ownerId = uniqueId('test-pool');
  owners.push(ownerId);
  const made = testSandbox({ ownerId, ...opts });
  closers.push(() => made.sandbox.close());
  return made;
}

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  for (const owner of owners) expect(await containersOfOwner(owner)).toEqual([]);
});

describe('warm pool', () => {
  test('runs take ready containers; each serves one run only and is removed; the pool refills', async () => {
    const { sandbox, watch } = make({ pool: { size: 2 } });
    await watch.moreReady(2);
    expect(sandbox.stats().pool.ready).toBe(2);
    const ready = watch.readyIds();

    // Run 1 leaves a file and a process behind; run 2 must not see either.
    const first = req({ language: 'bash', code: 'echo left > /tmp/marker; (sleep 60 &); echo one' });
    const second = req({ language: 'bash', code: 'ls -A /tmp; ps -eo comm= | grep -c sleep; echo two' });
    const refilled = watch.moreReady(2);
    expect(await sandbox.run(first)).toMatchObject({ verdict: 'ok', stdout: 'one\n' });
    expect(await sandbox.run(second)).toMatchObject({ verdict: 'ok', stdout: '0\ntwo\n' });

    const a = watch.containerOf(first.runId);
    const b = watch.containerOf(second.runId);
    expect([a.source, b.source]).toEqual(['pool', 'pool']);
    expect(ready).toEqual(expect.arrayContaining([a.containerId, b.containerId]));
    expect(a.containerId).not.toBe(b.containerId);
    await Promise.all([watch.removed(a.containerId), watch.removed(b.containerId)]);
    expect(await containerExists(a.containerId)).toBe(false);

    await refilled;
    await watch.until(() => sandbox.stats().pool.ready === 2);
  });

  test('a pool container killed from outside while idle: the run still succeeds and the pool heals', async () => {
    const { sandbox, watch } = make({ pool: { size: 1 } });
    await watch.moreReady(1);
    const victim = watch.readyIds()[0]!;
    const replaced = watch.moreReady(1);
    await docker.container(victim).kill();
    // Whether the run races the kill or comes after it, it ends up in a live container.
    const r = req({ language: 'python', code: 'print("survived")' });
    expect(await sandbox.run(r)).toMatchObject({ verdict: 'ok', stdout: 'survived\n' });
    expect(watch.containerOf(r.runId).containerId).not.toBe(victim);
    await watch.removed(victim);
    await replaced;
    await watch.until(() => sandbox.stats().pool.ready === 1);
  });

  test('when Docker cannot create pool containers, runs fail as infrastructure errors and the pool backs off', async () => {
    const { sandbox } = make({ image: 'paddock-no-such-image:v0', pool: { size: 2 } });
    await expect(sandbox.run(req({ language: 'bash', code: 'true' }))).rejects.toBeInstanceOf(SandboxInfraError);
    expect(sandbox.stats().pool.failures).toBeGreaterThan(0);
    expect(sandbox.stats().pool.creating).toBeLessThanOrEqual(2);
  });

  test('a run asking for less memory than the pool containers have gets its own limit', async () => {
    const { sandbox, watch } = make({ pool: { size: 1, limits: { ...BASE_LIMITS, memoryMb: 256 } } });
    await watch.moreReady(1);
    const hog = 'x = bytearray(100 << 20)\nprint("allocated")';
    // 100 MiB fits the pool's 256 MiB…
    const roomy = req({ language: 'python', code: hog, limits: { ...BASE_LIMITS, memoryMb: 256 } });
    expect(await sandbox.run(roomy)).toMatchObject({ verdict: 'ok', stdout: 'allocated\n' });
    // …but not a run's own 48 MiB, in a pool container all the same.
    const tight = req({ language: 'python', code: hog, limits: { ...BASE_LIMITS, memoryMb: 48 } });
    expect(await sandbox.run(tight)).toMatchObject({ verdict: 'memory_exceeded', exitCode: 137, signal: 'SIGKILL', stdout: '' });
    expect(watch.containerOf(tight.runId).source).toBe('pool');
  });

  test('a memory limit too small for anything is memory_exceeded, not an infrastructure error', async () => {
    const { sandbox, watch } = make({ pool: { size: 1 } });
    await watch.moreReady(1);
    const r = await sandbox.run(req({ language: 'python', code: 'print(1)', limits: { ...BASE_LIMITS, memoryMb: 6 } }));
    expect(r).toMatchObject({ verdict: 'memory_exceeded', exitCode: 137, signal: 'SIGKILL', stdout: '' });
  });

  test('the backstop counts from the run, not from the container start', async () => {
    // A container made for 300 ms runs waits longer than that budget + BACKSTOP_GRACE_MS
    // before its run arrives (the idle time is the point of this test, hence the sleep).
    const limits = { ...BASE_LIMITS, timeoutMs: 300 };
    const { sandbox, watch } = make({ pool: { size: 1, limits } });
    await watch.moreReady(1);
    await new Promise((r) => setTimeout(r, 2600));
    const r = await sandbox.run(req({ language: 'bash', code: 'sleep 0.1; echo fine', limits }));
    expect(r).toMatchObject({ verdict: 'ok', stdout: 'fine\n' });
  });

  test('cpuMs and memoryPeakBytes come from the container’s cgroup', async () => {
    const { sandbox, watch } = make({ pool: { size: 1 } });
    await watch.moreReady(1);
    const code = 'import time\nx = bytearray(60 << 20)\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\nprint("ok")';
    const r = await sandbox.run(req({ language: 'python', code }));
    expect(r).toMatchObject({ verdict: 'ok', stdout: 'ok\n' });
    expect(r.cpuMs).toBeGreaterThanOrEqual(300);
    expect(r.memoryPeakBytes).toBeGreaterThanOrEqual(60 << 20);
  });
});

describe('warm reuse (opt-in)', () => {
  test('runs of one key share a container, one at a time; another key never gets it', async () => {
    const { sandbox, watch } = make({ pool: { size: 1 } });
    const a1 = req({ language: 'bash', code: 'echo a1', reuseKey: 'alice' });
    const a2 = req({ language: 'bash', code: 'echo a2', reuseKey: 'alice' });
    const b1 = req({ language: 'bash', code: 'echo b1', reuseKey: 'bob' });
    const fresh = req({ language: 'bash', code: 'echo fresh' });
    for (const r of [a1, b1, a2, fresh]) expect((await sandbox.run(r)).verdict).toBe('ok');
    const id = (r: ExecRequest) => watch.containerOf(r.runId).containerId;
    expect(watch.containerOf(a2.runId).source).toBe('reuse');
    expect(id(a2)).toBe(id(a1));
    expect(id(b1)).not.toBe(id(a1));
    expect(id(fresh)).not.toBe(id(a1));
    expect(id(fresh)).not.toBe(id(b1));
    expect(sandbox.stats().reuseIdle).toBe(2);
  });

  test.each(reuseFixtures.map((f) => [f.name, f] as const))('isolation: %s', async (_name, f) => {
    const { sandbox, watch } = make({ pool: { size: 1 } });
    const key = uniqueId('owner');
    const first = req({ ...f.first, reuseKey: key });
    const second = req({ ...f.second, reuseKey: key });
    const r1 = await sandbox.run(first);
    expect({ verdict: r1.verdict, stdout: r1.stdout, stderr: r1.stderr }).toMatchObject({
      verdict: f.first.expect.verdict,
      ...(f.first.expect.stdoutEquals !== undefined ? { stdout: f.first.expect.stdoutEquals } : {}),
    });
    const r2 = await sandbox.run(second);
    expect(watch.containerOf(second.runId)).toEqual({ containerId: watch.containerOf(first.runId).containerId, source: 'reuse' });
    expect({ verdict: r2.verdict, stdout: r2.stdout, stderr: r2.stderr }).toEqual({
      verdict: f.second.expect.verdict,
      stdout: f.second.expect.stdoutEquals,
      stderr: '',
    });
  });

  test('a run that ends abnormally retires its reuse container', async () => {
    const { sandbox, watch } = make({});
    const slow = req({ language: 'bash', code: 'sleep 100', reuseKey: 'k', limits: { ...BASE_LIMITS, timeoutMs: 300 } });
    expect((await sandbox.run(slow)).verdict).toBe('timeout');
    await watch.removed(watch.containerOf(slow.runId).containerId);
    const next = req({ language: 'bash', code: 'echo ok', reuseKey: 'k' });
    expect(await sandbox.run(next)).toMatchObject({ verdict: 'ok', stdout: 'ok\n' });
    expect(watch.containerOf(next.runId).source).toBe('cold');
  });

  test('lower limits apply in a reused container, and higher ones again after', async () => {
    const { sandbox, watch } = make({ pool: { size: 1, limits: { ...BASE_LIMITS, memoryMb: 256 } } });
    const hog = 'x = bytearray(100 << 20)\nprint("allocated")';
    const runs = [256, 48, 256].map((memoryMb) => req({ language: 'python', code: hog, reuseKey: 'k', limits: { ...BASE_LIMITS, memoryMb } }));
    const verdicts: string[] = [];
    for (const r of runs) verdicts.push((await sandbox.run(r)).verdict);
    expect(verdicts).toEqual(['ok', 'memory_exceeded', 'ok']);
    // The OOM kill hit the program, not the agent: the container was wiped and reused.
    expect(new Set(runs.map((r) => watch.containerOf(r.runId).containerId)).size).toBe(1);
  });

  test('idle reuse containers are retired', async () => {
    const { sandbox, watch } = make({ reuse: { idleMs: 300 } });
    const r = req({ language: 'bash', code: 'echo once', reuseKey: 'k' });
    expect((await sandbox.run(r)).verdict).toBe('ok');
    await watch.removed(watch.containerOf(r.runId).containerId);
    expect(sandbox.stats().reuseIdle).toBe(0);
  });
});

describe('close', () => {
  test('close() kills runs in flight and removes pool, reuse and busy containers', async () => {
    const { sandbox, watch } = make({ pool: { size: 2 } });
    await watch.moreReady(2);
    expect((await sandbox.run(req({ language: 'bash', code: 'true', reuseKey: 'k' }))).verdict).toBe('ok');
    await watch.until(() => sandbox.stats().reuseIdle === 1);
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const busy = sandbox.run(req({ language: 'bash', code: 'echo go; sleep 100', onOutput: () => started() }));
    await running;
    await sandbox.close();
    expect((await busy).verdict).toBe('killed');
    expect(sandbox.stats().containers).toBe(0);
  });
});
