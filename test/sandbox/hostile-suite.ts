/**
 * Table-driven over test/fixtures/hostile: every hostile program must end with
 * its expected verdict (for the runtime: `expectationFor`), and leave no
 * container behind — on the production path (a warm pool container, lowered to
 * the fixture's limits before the run) and with opt-in warm reuse (containers
 * shared by the fixtures one after another, wiped in between), and on Docker's
 * default runtime each also in a session of its own (sandbox/session.ts: files
 * kept, no wipe), after which a session that is still open must still answer (a
 * file listing: the agent is alive and unchanged; a program might not start,
 * e.g. after the fixture filled the session's own disk). A cold container runs
 * the same agent with the same spec (spec.test.ts inspects one);
 * sandbox.test.ts and pool.test.ts run cold ones.
 *
 * Shared by hostile.test.ts (SANDBOX_RUNTIME, Docker's default when unset) and
 * hostile-runsc.test.ts (gVisor, always).
 */
import type { PooledSandbox } from '../../sandbox';

import { expectationFor, fixtures, limitsFor, type FixtureExpectation, type HostileFixture, HOSTILE_LIMITS, HOSTILE_TMPFS_MB, TEST_SECRET_NAME, TEST_SECRET_VALUE } from '../fixtures/hostile';
import { checkExpectation, containersOfOwner, limiter, testSandbox, uniqueId, type SandboxWatcher } from './helpers';

const ALL_MODES = ['pool', 'reuse', 'session'] as const;
type Mode = (typeof ALL_MODES)[number];

async function inSession(sandbox: PooledSandbox, runId: string, f: HostileFixture, runtime: string | undefined): Promise<void> {
  const expected: FixtureExpectation = expectationFor(f, runtime);
  const session = await sandbox.openSession({ sessionId: runId, limits: limitsFor(f, runtime) });
  try {
    checkExpectation(await session.run({ runId, language: f.language, code: f.code, files: f.files, stdin: f.stdin }), expected);
    if (!session.isOpen) return;
    await expect(session.listFiles()).resolves.toEqual(expect.any(Array));
  } finally {
    session.close();
  }
}

export function describeHostile(runtime: string | undefined): void {
  // Sessions are exercised on Docker's default runtime; under gVisor the pool and reuse paths.
  const MODES: readonly Mode[] = runtime ? ['pool', 'reuse'] : ALL_MODES;
  const owners = Object.fromEntries(MODES.map((m) => [m, uniqueId(`test-hostile-${m}`)])) as Record<Mode, string>;
  const made: Partial<Record<Mode, { sandbox: PooledSandbox; watch: SandboxWatcher }>> = {};
  // Concurrent tests start before beforeAll hooks settle, so sandboxes are made lazily.
  const sandboxFor = (mode: Mode) =>
    (made[mode] ??= testSandbox({
      ownerId: owners[mode],
      tmpfsMb: HOSTILE_TMPFS_MB,
      ...(runtime ? { runtime } : {}),
      // Pool containers get more than any fixture asks for, so every pool run is lowered first.
      // Under runsc a started container's cgroup can't be changed (runner.ts `fits`): the pool
      // has the fixtures' usual limits, so those take pool containers and the others go cold.
      pool: { size: 2, limits: runtime === 'runsc' ? HOSTILE_LIMITS : { ...HOSTILE_LIMITS, memoryMb: 256, cpus: 1, pids: 64 } },
    }));
  // Four at a time: CPU-bound fixtures use half a core each on a 2-core host. Two under
  // runsc: every system call costs ~20x the CPU there (a 10-process bash fixture: 0.3 s of
  // CPU against 15 ms under runc), so four half-core sandboxes took both cores and starved
  // benign fixtures past their wall clock.
  const slot = limiter(runtime === 'runsc' ? 2 : 4);

  beforeAll(() => {
    // A secret in the worker's own environment: it must never reach a sandbox.
    process.env[TEST_SECRET_NAME] = TEST_SECRET_VALUE;
  });

  afterAll(async () => {
    await Promise.all(Object.values(made).map((m) => m.sandbox.close()));
    delete process.env[TEST_SECRET_NAME];
    for (const owner of Object.values(owners)) expect(await containersOfOwner(owner)).toEqual([]);
  });

  // A test's clock includes its wait for a slot; the longest fixture's wall clock on top.
  const testTimeoutMs = 60_000 + Math.max(...fixtures.map((f) => limitsFor(f, runtime).timeoutMs));

  describe.each(MODES)('%s', (mode) => {
    test.concurrent.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, f) => {
      const { sandbox, watch } = sandboxFor(mode);
      const runId = uniqueId('hostile');
      if (mode === 'session') return slot(() => inSession(sandbox, runId, f, runtime));
      const result = await slot(() =>
        sandbox.run({
          runId,
          language: f.language,
          code: f.code,
          files: f.files,
          stdin: f.stdin,
          limits: limitsFor(f, runtime),
          ...(mode === 'reuse' ? { reuseKey: 'hostile-owner' } : {}),
        }),
      );
      checkExpectation(result, expectationFor(f, runtime));
      // Single-use containers are removed (in the background, right after the result).
      if (mode === 'pool') await watch.removed(watch.containerOf(runId).containerId);
    }, testTimeoutMs);
  });
}
