/**
 * Table-driven over test/fixtures/hostile: every hostile program must end with
 * its expected verdict, and leave no container behind.
 */
import { createSandbox } from '../../sandbox';
import type { ExecResult, Sandbox } from '../../sandbox/types';
import { silentLogger } from '../../core/logger';
import {
  fixtures,
  HOSTILE_LIMITS,
  HOSTILE_TMPFS_MB,
  TEST_SECRET_NAME,
  TEST_SECRET_VALUE,
  type FixtureExpectation,
} from '../fixtures/hostile';
import { containersOfOwner, containersOfRun, IMAGE, limiter, SOCKET, TEST_SCOPE, uniqueId } from './helpers';

// A secret in the worker's own environment: it must never reach a sandbox.
process.env[TEST_SECRET_NAME] = TEST_SECRET_VALUE;

const ownerId = uniqueId('test-hostile');
// Concurrent tests start before beforeAll hooks settle, so the sandbox is made lazily.
let sandbox: Sandbox | undefined;
const getSandbox = () =>
  (sandbox ??= createSandbox({ image: IMAGE, socketPath: SOCKET, scope: TEST_SCOPE, ownerId, tmpfsMb: HOSTILE_TMPFS_MB, log: silentLogger() }));
// Four at a time: CPU-bound fixtures use half a core each on a 2-core host.
const slot = limiter(4);

afterAll(async () => {
  await sandbox?.close();
  delete process.env[TEST_SECRET_NAME];
  expect(await containersOfOwner(ownerId)).toEqual([]);
});

function checkExpectation(r: ExecResult, e: FixtureExpectation): void {
  const observed = { verdict: r.verdict, exitCode: r.exitCode, signal: r.signal, truncated: r.truncated };
  const wanted: Partial<typeof observed> = { verdict: e.verdict };
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

test.concurrent.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, f) => {
  const runId = uniqueId('hostile');
  const result = await slot(() =>
    getSandbox().run({
      runId,
      language: f.language,
      code: f.code,
      files: f.files,
      stdin: f.stdin,
      limits: { ...HOSTILE_LIMITS, ...f.limits },
    }),
  );
  checkExpectation(result, f.expect);
  expect(await containersOfRun(runId)).toEqual([]);
});
