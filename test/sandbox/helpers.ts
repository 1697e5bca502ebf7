/** Shared by the sandbox suites: real Docker, a unique owner per suite, leak checks. */
import { randomUUID } from 'node:crypto';
import { DEFAULT_SANDBOX_IMAGE } from '../../core/config';
import { silentLogger } from '../../core/logger';
import { createSandbox, type PooledSandbox, type SandboxEvent, type SandboxOptions } from '../../sandbox';
import { createDockerClient } from '../../sandbox/docker';
import { LABEL_OWNER, LABEL_RUN } from '../../sandbox/spec';
import type { ExecResult, SandboxLimits } from '../../sandbox/types';
import type { FixtureExpectation } from '../fixtures/hostile';

export const SOCKET = '/var/run/docker.sock';
export const IMAGE = DEFAULT_SANDBOX_IMAGE;

export const docker = createDockerClient(SOCKET);

/**
 * One scope per test file: other Paddock systems on this Docker engine (other
 * suites' workers) have reapers that must never see our containers.
 */
export const TEST_SCOPE = `t${process.env.PADDOCK_TEST_RUN ?? 'x'}-${randomUUID().slice(0, 8)}`;

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export const BASE_LIMITS: SandboxLimits = { timeoutMs: 5000, memoryMb: 128, cpus: 1, pids: 64, outputBytes: 256 * 1024 };

export async function containersOfOwner(ownerId: string): Promise<string[]> {
  return (await docker.listContainers([`${LABEL_OWNER}=${ownerId}`])).map((c) => c.id);
}

export async function containersOfRun(runId: string): Promise<string[]> {
  return (await docker.listContainers([`${LABEL_RUN}=${runId}`])).map((c) => c.id);
}

export async function containerExists(id: string): Promise<boolean> {
  return (await docker.listContainers(['paddock.sandbox=1'])).some((c) => c.id === id);
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** At most `n` callers run at once; the rest queue (FIFO). */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

/**
 * Follows a sandbox's diagnostic events, so tests can tell which container
 * served a run and wait (on promises, not sleeps) for pool refills and removals.
 */
export class SandboxWatcher {
  readonly events: SandboxEvent[] = [];
  private readonly assigned = new Map<string, { containerId: string; source: string }>();
  private readonly removedIds = new Set<string>();
  private readonly waiters: { test: () => boolean; resolve: () => void }[] = [];

  readonly onEvent = (e: SandboxEvent): void => {
    this.events.push(e);
    if (e.type === 'assigned') this.assigned.set(e.runId, { containerId: e.containerId, source: e.source });
    if (e.type === 'removed') this.removedIds.add(e.containerId);
    for (const w of [...this.waiters]) {
      if (w.test()) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };

  /** The container the run was (last) given, and where it came from. */
  containerOf(runId: string): { containerId: string; source: string } {
    const a = this.assigned.get(runId);
    if (!a) throw new Error(`no container was assigned to ${runId}`);
    return a;
  }

  /** Container ids that became ready in the pool, in order. */
  readyIds(): string[] {
    return this.events.filter((e) => e.type === 'ready').map((e) => e.containerId);
  }

  /** Resolves once `test` holds (checked now and after every event). */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  removed(containerId: string): Promise<void> {
    return this.until(() => this.removedIds.has(containerId));
  }

  /** Resolves when `n` more pool containers than now have become ready. */
  moreReady(n: number): Promise<void> {
    const target = this.readyIds().length + n;
    return this.until(() => this.readyIds().length >= target);
  }
}

type TestSandboxOptions = Omit<Partial<SandboxOptions>, 'pool'> & {
  ownerId: string;
  pool?: Partial<NonNullable<SandboxOptions['pool']>> & { size: number };
};

/** A sandbox on the test image and scope, with a watcher attached. */
export function testSandbox(opts: TestSandboxOptions): { sandbox: PooledSandbox; watch: SandboxWatcher } {
  const watch = new SandboxWatcher();
  const { pool, ...rest } = opts;
  const runtime = rest.runtime ?? process.env.SANDBOX_RUNTIME;
  // Pool containers above BASE_LIMITS get lowered for a run; under runsc a started
  // container's cgroup can't change (runner.ts `fits`), so there they are made at BASE_LIMITS.
  const poolLimits = runtime === 'runsc' ? BASE_LIMITS : { ...BASE_LIMITS, memoryMb: 256 };
  const sandbox = createSandbox({
    image: IMAGE,
    socketPath: SOCKET,
    scope: TEST_SCOPE,
    tmpfsMb: 16,
    log: silentLogger(),
    onEvent: watch.onEvent,
    // SANDBOX_RUNTIME=runsc npx jest test/sandbox/...: a suite under gVisor (hostile-runsc.test.ts always is).
    ...(process.env.SANDBOX_RUNTIME ? { runtime: process.env.SANDBOX_RUNTIME } : {}),
    ...rest,
    ...(pool ? { pool: { limits: poolLimits, ...pool } } : {}),
  });
  return { sandbox, watch };
}

/** Checks a hostile fixture's result against its expectation (test/fixtures/hostile). */
export function checkExpectation(r: ExecResult, e: FixtureExpectation): void {
  const observed = { verdict: r.verdict, exitCode: r.exitCode, signal: r.signal, truncated: r.truncated };
  const wanted: Partial<typeof observed> = e.verdictIn ? {} : { verdict: e.verdict };
  if (e.verdictIn) expect(e.verdictIn).toContain(r.verdict);
  if (e.exitCode !== undefined) wanted.exitCode = e.exitCode;
  if (e.signal !== undefined) wanted.signal = e.signal;
  if (e.truncated !== undefined) wanted.truncated = e.truncated;
  // Output is in the message so a wrong verdict explains itself.
  expect({ ...observed, stdout: r.stdout.slice(0, 2000), stderr: r.stderr.slice(0, 2000) }).toMatchObject(wanted);
  for (const s of e.stdoutIncludes ?? []) expect(r.stdout).toContain(s);
  for (const s of e.stderrIncludes ?? []) expect(r.stderr).toContain(s);
  for (const s of e.outputExcludes ?? []) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
  if (e.stdoutEquals !== undefined) expect(r.stdout).toBe(e.stdoutEquals);
  if (e.maxOutputBytes !== undefined) {
    expect(Buffer.byteLength(r.stdout) + Buffer.byteLength(r.stderr)).toBeLessThanOrEqual(e.maxOutputBytes);
  }
  e.check?.(r);
}
