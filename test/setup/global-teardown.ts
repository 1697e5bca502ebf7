import Docker from 'dockerode';

/** Stops the suite's Redis, then fails the run if it left any sandbox container behind. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __paddockRedis?: { close(): Promise<void> } }).__paddockRedis?.close();
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const ours = `t${process.env.PADDOCK_TEST_RUN}`;
  const all = await docker.listContainers({ all: true, filters: { label: ['paddock.sandbox=1', 'paddock.scope'] } });
  const left = all.filter((c) => c.Labels['paddock.scope']?.startsWith(`${ours}-`));
  if (left.length > 0) {
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    throw new Error(`the test suite left ${left.length} sandbox container(s) behind: ${left.map((c) => c.Names.join(',')).join(' ')}`);
  }
}
