import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { Cluster } from 'ioredis';
import { startLocalRedis, type LocalRedis } from '../../core/local-redis';
import { clusterNodes } from '../../core/redis-connect';
import { startTestSystem, type TestSystem } from '../helpers/system';
import { readmeSession } from './session';

/**
 * Paddock on a Redis Cluster of three masters (Debian's redis-server, joined with
 * `redis-cli --cluster create`): with REDIS_CLUSTER=true and a QUEUE_PREFIX in
 * braces, BullMQ's scripts, the event log, fair shares, liveness keys and the
 * cancel channel all work, and the README's session passes.
 */
const run = promisify(execFile);
const prefix = `{t${process.env.PADDOCK_TEST_RUN ?? 'x'}-cluster}`;
const nodes: LocalRedis[] = [];
let system: TestSystem | undefined;

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    nodes.push(await startLocalRedis('redis-server', { extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'] }));
  }
  const addrs = nodes.map((n) => clusterNodes(n.url)[0]!).map((a) => `${a.host}:${a.port}`);
  await run('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes']);
  await clusterReady(nodes.map((n) => n.url));
  // The seed is one node: the client discovers the other two.
  system = await startTestSystem({ REDIS_URL: nodes[0]!.url, REDIS_CLUSTER: 'true', QUEUE_PREFIX: prefix });
}, 120_000);

afterAll(async () => {
  await system?.close();
  for (const n of nodes) await n.close();
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const left = await docker.listContainers({ all: true, filters: { label: [`paddock.scope=${prefix}`] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}, 60_000);

/** Until every node says cluster_state:ok (slots agreed), bounded. */
async function clusterReady(urls: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const url of urls) {
    const { host, port } = clusterNodes(url)[0]!;
    for (;;) {
      const { stdout } = await run('redis-cli', ['-h', host, '-p', String(port), 'cluster', 'info']);
      if (stdout.includes('cluster_state:ok')) break;
      if (Date.now() > deadline) throw new Error(`cluster not ready at ${host}:${port}:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('Redis Cluster', () => {
  it('has three masters, and the queue prefix hashes to one slot', async () => {
    const client = new Cluster(clusterNodes(nodes[0]!.url));
    try {
      await new Promise((resolve) => client.once('ready', resolve));
      const masters = client.nodes('master');
      expect(masters).toHaveLength(3);
      const slots = await Promise.all([`${prefix}:runs:wait`, `${prefix}:run:{run_x}:events`, `${prefix}:worker:w1`].map((k) => client.cluster('KEYSLOT', k)));
      expect(new Set(slots).size).toBe(1);
    } finally {
      client.disconnect();
    }
  });

  it("runs the README's session (submit, stream, resume, cancel)", async () => {
    const ready = await system!.call('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.workers.count).toBe(1);
    await readmeSession(system!.url, await system!.token('alice'));

    // Every key the system wrote is on one master: the one that owns the prefix's slot.
    const client = new Cluster(clusterNodes(nodes[0]!.url));
    try {
      await new Promise((resolve) => client.once('ready', resolve));
      const sizes = await Promise.all(client.nodes('master').map((n) => n.dbsize()));
      expect(sizes.filter((n) => n > 0)).toHaveLength(1);
    } finally {
      client.disconnect();
    }
  }, 120_000);
});
