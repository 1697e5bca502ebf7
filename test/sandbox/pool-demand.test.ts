/**
 * The pool follows demand: what it pre-starts follows the languages runs ask
 * for, and with overflowCold a burst beyond the ready and starting containers
 * creates cold ones instead of queueing behind the refill. Real Docker.
 */
import { BASE_LIMITS, containersOfOwner, testSandbox, uniqueId } from './helpers';

const ownerId = uniqueId('test-pool-demand');
const closers: (() => Promise<void>)[] = [];
function make(pool: Parameters<typeof testSandbox>[0]['pool']) {
  const made = testSandbox({ ownerId, pool });
  closers.push(() => made.sandbox.close());
  return made;
}

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  expect(await containersOfOwner(ownerId)).toEqual([]);
});

const CMDLINE = 'console.log(require("fs").readFileSync("/proc/self/cmdline", "utf8").split("\\0")[1])';

test('after javascript runs, the pool pre-starts node; the first ones still ran correctly', async () => {
  const { sandbox, watch } = make({ size: 2 });
  await watch.moreReady(2);
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r = await sandbox.run({ runId: uniqueId('js'), limits: BASE_LIMITS, language: 'javascript', code: CMDLINE });
    expect(r.verdict).toBe('ok');
    seen.push(r.stdout.trim());
    // Its replacement is ready (the 'ready' events count every container the pool made).
    await watch.until(() => watch.readyIds().length >= 3 + i);
  }
  // The first run took a container that pre-started python (the initial guess): plain node.
  expect(seen[0]).toBe('main.js');
  expect(seen[5]).toBe('/opt/paddock/prestart.js');
});

test('overflowCold: runs beyond the ready and starting containers go cold, all succeed', async () => {
  const { sandbox, watch } = make({ size: 1, refillConcurrency: 1, overflowCold: true });
  await watch.moreReady(1);
  const runs = Array.from({ length: 4 }, () => ({ runId: uniqueId('burst'), limits: BASE_LIMITS, language: 'python' as const, code: 'print(1)' }));
  const results = await Promise.all(runs.map((r) => sandbox.run(r)));
  expect(results.map((r) => r.stdout)).toEqual(['1\n', '1\n', '1\n', '1\n']);
  const sources = runs.map((r) => watch.containerOf(r.runId).source);
  expect(sources.filter((s) => s === 'cold').length).toBeGreaterThanOrEqual(2);
  expect(sources.filter((s) => s === 'pool').length).toBeGreaterThanOrEqual(1);
});
