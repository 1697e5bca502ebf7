import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { signToken } from '../../api/auth';
import { startLocalRedis, type LocalRedis } from '../../core/local-redis';
import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { startPaddockProcess, type PaddockProcess } from '../helpers/process';
import { readSse } from '../helpers/sse';
import { testEnv } from '../helpers/system';
import { HostNetwork, logLines, startOnHost, type HostProcess } from './netns';
import { pollUntilDone, waitReady } from './session';

/**
 * Scale-out across hosts: three worker hosts (network namespaces on a bridge),
 * each with its own worker process that reaches Redis and MongoDB only over the
 * bridge; two API nodes. Runs spread over the hosts, a cancel from either API
 * node reaches whichever host runs the job, and a host killed whole mid-run
 * loses no run while its orphaned sandboxes are reaped by the others.
 */
const HOSTS = 3;
const CONCURRENCY = 2; // per worker process: HOSTS × CONCURRENCY runs at once
const net = new HostNetwork(process.env.PADDOCK_TEST_RUN ?? 'x');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let redis: LocalRedis | undefined;
let mongo: MongoStandin | undefined;
const apis: PaddockProcess[] = [];
const workers: HostProcess[] = [];
let env: Record<string, string>;
let headers: Record<string, string>;

beforeAll(async () => {
  net.create(HOSTS);
  redis = await startLocalRedis('redis-server', { bind: net.serverAddress });
  mongo = await startMongoStandin({ host: net.serverAddress });
  env = testEnv({
    REDIS_URL: redis.url,
    MONGO_URL: mongo.url,
    WORKER_CONCURRENCY: String(CONCURRENCY),
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_CHECK_MS: '1000',
    WORKER_HEARTBEAT_MS: '500',
    SANDBOX_REAP_INTERVAL_MS: '1000',
    SANDBOX_MAX_TIMEOUT_MS: '60000',
  });
  delete env.LOG_LEVEL; // the processes log at info: the tests read which host took which run
  for (const host of net.hosts) workers.push(await startOnHost(host, { ...env, PADDOCK_ROLE: 'worker' }));
  for (let i = 0; i < 2; i++) apis.push(await startPaddockProcess({ ...env, PADDOCK_ROLE: 'api' }));
  headers = { authorization: `Bearer ${await signToken({ secret: env.JWT_SECRET! }, { sub: 'carol', role: 'user' })}`, 'content-type': 'application/json' };
  await waitReady(apis[0]!.url!, HOSTS);
}, 300_000);

afterAll(async () => {
  await Promise.all(apis.map((p) => p.stop('SIGTERM')));
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  net.destroy();
  await mongo?.close();
  await redis?.close();
  const left = await docker.listContainers({ all: true, filters: { label: [`paddock.scope=${env?.QUEUE_PREFIX}`] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}, 120_000);

async function submit(api: PaddockProcess, code: string): Promise<string> {
  const res = await fetch(`${api.url}/v1/runs`, { method: 'POST', headers, body: JSON.stringify({ language: 'python', code }) });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** Which host logged "attempt started" last for each run (a stalled job's retry keeps its attempt number: go by time). */
function hostOf(ids: string[]): Map<string, string> {
  const latest = new Map<string, { host: string; time: number }>();
  for (const w of workers) {
    for (const line of logLines(w.output(), 'attempt started')) {
      if (!ids.includes(line.id)) continue;
      const seen = latest.get(line.id);
      if (!seen || line.time > seen.time) latest.set(line.id, { host: w.host.name, time: line.time });
    }
  }
  return new Map([...latest].map(([id, v]) => [id, v.host]));
}

function perHost(ids: string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(net.hosts.map((h) => [h.name, 0]));
  for (const host of hostOf(ids).values()) counts[host] = (counts[host] ?? 0) + 1;
  return counts;
}

const running = (id: string) => readSse(`${apis[0]!.url}/v1/runs/${id}/events`, { headers, until: (e) => e.event === 'stdout' });

describe('worker hosts as network namespaces', () => {
  it('every host reaches Redis over the bridge, not loopback', async () => {
    const client = new Redis(redis!.url);
    const list = await client.client('LIST');
    await client.quit();
    const addrs = String(list).match(/addr=(\S+):\d+/g)!.map((a) => a.slice(5).replace(/:\d+$/, ''));
    for (const host of net.hosts) expect(addrs).toContain(host.address);
    expect(addrs).not.toContain('127.0.0.1');
  });

  it('runs spread across the hosts', async () => {
    // As many runs as there are slots, each long enough that all are in flight at once.
    const ids = await Promise.all(Array.from({ length: HOSTS * CONCURRENCY }, (_, i) => submit(apis[i % 2]!, `import time\ntime.sleep(2)\nprint(${i})`)));
    for (const [i, id] of ids.entries()) {
      const run = await pollUntilDone(apis[0]!.url!, id, headers);
      expect(run.status).toBe('succeeded');
      expect(run.result.stdout).toBe(`${i}\n`);
    }
    const counts = perHost(ids);
    process.stdout.write(`runs per host: ${JSON.stringify(counts)}\n`);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(ids.length);
    for (const host of net.hosts) expect(counts[host.name]).toBeGreaterThan(0);
  }, 120_000);

  it('a cancel from either API node reaches the host that runs the job', async () => {
    const ids = await Promise.all(Array.from({ length: HOSTS * CONCURRENCY }, () => submit(apis[0]!, 'import time\nprint("tick", flush=True)\ntime.sleep(60)')));
    await Promise.all(ids.map(running));
    const hosts = hostOf(ids);
    expect(new Set(hosts.values()).size).toBe(HOSTS);
    for (const [i, id] of ids.entries()) {
      const res = await fetch(`${apis[i % 2]!.url}/v1/runs/${id}`, { method: 'DELETE', headers });
      expect(res.status).toBe(202);
    }
    for (const id of ids) expect((await pollUntilDone(apis[1]!.url!, id, headers)).status).toBe('cancelled');
  }, 120_000);

  it('a host killed whole mid-run: no run is lost, its orphaned sandboxes are reaped', async () => {
    const code = 'import time\nprint("start", flush=True)\ntime.sleep(10)\nprint("done")'; // the kill must land mid-run, however slow the machine
    const ids = await Promise.all(Array.from({ length: HOSTS * CONCURRENCY }, (_, i) => submit(apis[i % 2]!, code)));
    await Promise.all(ids.map(running));
    const victim = workers[0]!;
    const onVictim = [...hostOf(ids)].filter(([, host]) => host === victim.host.name).map(([id]) => id);
    expect(onVictim.length).toBeGreaterThan(0);
    const ownerId = logLines(victim.output(), 'worker ready')[0]!.ownerId as string;
    const orphans = () => docker.listContainers({ all: true, filters: { label: [`paddock.owner=${ownerId}`] } });
    expect((await orphans()).length).toBeGreaterThan(0);

    expect(net.killHost(victim.host).length).toBeGreaterThan(0);
    await victim.exited;
    expect(net.pids(victim.host)).toEqual([]);

    for (const id of ids) {
      const run = await pollUntilDone(apis[0]!.url!, id, headers, 90_000);
      expect(run.status).toBe('succeeded');
      expect(run.result.stdout).toBe('start\ndone\n');
    }
    // The victim's runs were finished by the surviving hosts.
    const after = hostOf(onVictim);
    for (const id of onVictim) expect(after.get(id)).not.toBe(victim.host.name);
    // Reaped by the survivors once the victim's heartbeat lapsed (bounded wait).
    const deadline = Date.now() + 30_000;
    while ((await orphans()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await orphans()).toEqual([]);
  }, 180_000);
});
