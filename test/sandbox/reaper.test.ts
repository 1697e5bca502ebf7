/** The reaper removes the containers of dead owners in its own scope, and nothing else. */
import { silentLogger } from '../../core/logger';
import { createReaper } from '../../sandbox';
import { buildContainerSpec, LABEL_OWNER } from '../../sandbox/spec';
import { docker, IMAGE, SOCKET, TEST_SCOPE, uniqueId } from './helpers';

const limits = { timeoutMs: 30000, memoryMb: 32, cpus: 0.1, pids: 8, outputBytes: 1024 };
const created: string[] = [];

async function makeContainer(
  ownerId: string,
  opts: { start?: boolean; withoutOwner?: boolean; scope?: string } = {},
): Promise<string> {
  const spec = buildContainerSpec({
    image: IMAGE,
    scope: opts.scope ?? TEST_SCOPE,
    ownerId,
    runId: uniqueId('reap'),
    limits,
    tmpfsMb: 4,
    fileSizeMb: 4,
    idleExitMs: 60_000,
  });
  if (opts.withoutOwner) delete spec.Labels[LABEL_OWNER];
  const c = await docker.createContainer(spec);
  created.push(c.id);
  // Started, the agent waits for a run that never comes: a live orphan.
  if (opts.start) await c.start();
  return c.id;
}

async function exists(id: string): Promise<boolean> {
  return (await docker.listContainers(['paddock.sandbox=1'])).some((c) => c.id === id);
}

afterAll(async () => {
  await Promise.all(created.map((id) => docker.container(id).remove()));
});

test('removes every container (running or not) of a dead owner; leaves live owners, unowned ones and other scopes', async () => {
  const dead = uniqueId('test-reaper-dead');
  const alive = uniqueId('test-reaper-alive');
  const deadIds = [await makeContainer(dead, { start: true }), await makeContainer(dead)];
  const aliveId = await makeContainer(alive, { start: true });
  const unownedId = await makeContainer(dead, { withoutOwner: true });
  const otherScopeId = await makeContainer(dead, { scope: `${TEST_SCOPE}-other` });

  const asked: string[] = [];
  const reaper = createReaper({
    socketPath: SOCKET,
    scope: TEST_SCOPE,
    isOwnerAlive: async (owner) => {
      asked.push(owner);
      return owner !== dead;
    },
    log: silentLogger(),
  });
  expect(await reaper.sweep()).toBe(2);
  for (const id of deadIds) expect(await exists(id)).toBe(false);
  expect(await exists(aliveId)).toBe(true);
  expect(await exists(unownedId)).toBe(true);
  expect(await exists(otherScopeId)).toBe(true);
  // One liveness question per owner, not per container; none outside the scope.
  expect(asked.filter((o) => o === dead)).toHaveLength(1);
  expect(asked.sort()).toEqual([alive, dead].sort());
  expect(await reaper.sweep()).toBe(0);
});

test('an owner whose liveness cannot be determined is left alone', async () => {
  const unsure = uniqueId('test-reaper-unsure');
  const id = await makeContainer(unsure);
  const reaper = createReaper({
    socketPath: SOCKET,
    scope: TEST_SCOPE,
    isOwnerAlive: async (owner) => {
      if (owner === unsure) throw new Error('redis down');
      return true;
    },
    log: silentLogger(),
  });
  expect(await reaper.sweep()).toBe(0);
  expect(await exists(id)).toBe(true);
});
