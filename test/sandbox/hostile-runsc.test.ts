/**
 * The hostile fixtures under gVisor, in every `npm test` where runsc is registered
 * (hostile.test.ts runs them on Docker's default runtime): each fixture's `runsc`
 * expectation says what differs there and why. Also: results under runsc say that
 * memory accounting is unavailable, and never carry a memory figure.
 *
 * When setup could not register runsc with dockerd, it is skipped, and says so in
 * a test named SKIPPED (and on stderr).
 */
import { describeHostile } from './hostile-suite';
import { BASE_LIMITS, containersOfOwner, testSandbox, uniqueId } from './helpers';
import { runscRegistered, warnRunscMissing } from './runsc';

if (!runscRegistered()) {
  warnRunscMissing('test/sandbox/hostile-runsc.test.ts');
  test.skip('SKIPPED: runsc is not registered with dockerd (scripts/setup-runtimes.sh)', () => {});
} else {
  describe('runsc hostile', () => describeHostile('runsc'));

  describe('runsc accounting', () => {
    const ownerId = uniqueId('test-runsc-accounting');
    const { sandbox } = testSandbox({ ownerId, runtime: 'runsc' });

    afterAll(async () => {
      await sandbox.close();
      expect(await containersOfOwner(ownerId)).toEqual([]);
    });

    test('a result says memory accounting is unavailable and carries no memory peak', async () => {
      const r = await sandbox.run({
        runId: uniqueId('acct'),
        language: 'python',
        code: 'x = bytearray(40 << 20)\nprint(len(x))',
        limits: BASE_LIMITS,
      });
      expect(r).toMatchObject({ verdict: 'ok', stdout: `${40 << 20}\n`, accounting: { memory: 'unavailable' } });
      expect(r.accounting?.reason).toMatch(/gVisor/);
      expect(r).not.toHaveProperty('memoryPeakBytes');
    });
  });
}
