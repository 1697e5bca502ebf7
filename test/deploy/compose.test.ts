import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { signToken } from '../../api/auth';
import { readSse } from '../helpers/sse';
import { TEST_SECRET } from '../helpers/system';
import { pollUntilDone, readmeSession, waitReady } from './session';

/**
 * docker/compose.yaml as a user runs it, on images built offline
 * (docker/build-offline.sh): 2 API nodes, 2 workers, Redis and the MongoDB
 * stand-in. The README's session runs against both API nodes; then 3 workers,
 * one stopped mid-run (its run completes on another), and `down` leaves nothing.
 */
const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const testRun = process.env.PADDOCK_TEST_RUN ?? 'x';
const project = `pdk${testRun}compose`;
const scope = `t${testRun}-compose`; // the global teardown's leak check covers this scope
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let overrideFile: string;

const env = { ...process.env, JWT_SECRET: TEST_SECRET, QUEUE_PREFIX: scope, API_1_PORT: '', API_2_PORT: '', PADDOCK_BIND: '127.0.0.1' };

function compose(...args: string[]) {
  return run('docker-compose', ['-p', project, '-f', path.join(ROOT, 'docker/compose.yaml'), '-f', overrideFile, ...args], {
    cwd: ROOT,
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs `step`; when it fails, its error carries the service's last log lines. */
async function withLogs<T>(service: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const { stdout } = await compose('logs', '--no-color', '--tail', '40', service).catch(() => ({ stdout: '(no logs)' }));
    throw new Error(`${(err as Error).message}\n--- ${service} logs ---\n${stdout}`);
  }
}

async function apiUrl(service: string): Promise<string> {
  const { stdout } = await compose('port', service, '8080');
  return `http://${stdout.trim()}`;
}

/** The hostnames of the workers that logged "attempt started" for a run, in log order. */
async function attemptHosts(id: string): Promise<string[]> {
  const { stdout } = await compose('logs', '--no-color', '--timestamps', 'worker');
  return stdout
    .split('\n')
    .filter((line) => line.includes(`"id":"${id}"`) && line.includes('"attempt started"'))
    .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as { hostname: string; time: number })
    .sort((a, b) => a.time - b.time)
    .map((entry) => entry.hostname);
}

const projectContainers = () => docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
const scopeContainers = () => docker.listContainers({ all: true, filters: { label: [`paddock.scope=${scope}`] } });

async function removeEverything(): Promise<void> {
  await compose('down', '-v', '--remove-orphans', '-t', '10').catch(() => undefined);
  for (const c of await scopeContainers()) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
}

beforeAll(async () => {
  await run('bash', [path.join(ROOT, 'docker/build-offline.sh')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  // Short timers so a stopped worker's run moves on within seconds (the production defaults are tens of seconds).
  const tuning = {
    WORKER_CONCURRENCY: '2',
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_CHECK_MS: '1000',
    WORKER_HEARTBEAT_MS: '500',
    SANDBOX_REAP_INTERVAL_MS: '1000',
    SANDBOX_POOL_SIZE: '1',
    SHUTDOWN_GRACE_MS: '500',
    SANDBOX_MAX_TIMEOUT_MS: '30000',
  };
  overrideFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'paddock-compose-')), 'tuning.yaml');
  const services = ['api-1', 'api-2', 'worker'].map((s) => `  ${s}:\n    environment:\n${Object.entries(tuning).map(([k, v]) => `      ${k}: "${v}"`).join('\n')}`);
  fs.writeFileSync(overrideFile, `services:\n${services.join('\n')}\n`);
  await compose('up', '-d', '--scale', 'worker=2');
}, 600_000);

afterAll(async () => {
  await removeEverything();
  fs.rmSync(path.dirname(overrideFile), { recursive: true, force: true });
}, 120_000);

describe('docker/compose.yaml', () => {
  it("runs the README's session against both API nodes", async () => {
    const token = await signToken({ secret: TEST_SECRET }, { sub: 'alice', role: 'user' });
    for (const service of ['api-1', 'api-2']) {
      const base = await apiUrl(service);
      await withLogs(service, () => waitReady(base, 2, 240_000));
      await readmeSession(base, token);
    }
  }, 480_000);

  it('scaled to 3 workers, a worker stopped mid-run: the run completes on another', async () => {
    await compose('up', '-d', '--no-recreate', '--scale', 'worker=3');
    const base = await apiUrl('api-1');
    await withLogs('worker', () => waitReady(base, 3, 240_000));
    const auth = { authorization: `Bearer ${await signToken({ secret: TEST_SECRET }, { sub: 'bob', role: 'user' })}` };
    // Long enough that the stop lands mid-run however slow the machine is in finding the worker.
    const code = 'import time\nprint("start", flush=True)\ntime.sleep(10)\nprint("done")';
    const res = await fetch(`${base}/v1/runs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ language: 'python', code }) });
    const { id } = (await res.json()) as { id: string };
    await readSse(`${base}/v1/runs/${id}/events`, { headers: auth, until: (e) => e.event === 'stdout' });

    // The worker that took it logged "attempt started" under its hostname (the container's short id): stop it.
    const [first] = await attemptHosts(id);
    const workers = (await projectContainers()).filter((c) => c.Labels['com.docker.compose.service'] === 'worker');
    expect(workers).toHaveLength(3);
    const doomed = workers.find((c) => c.Id.startsWith(first!));
    expect(doomed).toBeDefined();
    await docker.getContainer(doomed!.Id).stop({ t: 20 });

    const done = await pollUntilDone(base, id, auth);
    expect(done.status).toBe('succeeded');
    expect(done.result.stdout).toBe('start\ndone\n');
    const events = (await readSse(`${base}/v1/runs/${id}/events`, { headers: auth })).events;
    expect(events.filter((e) => e.event === 'end')).toHaveLength(1);
    expect(events.filter((e) => e.event === 'status' && JSON.parse(e.data).status === 'running').length).toBe(2);

    // Two attempts, two different worker containers, as their logs say.
    const hosts = await attemptHosts(id);
    expect(hosts).toHaveLength(2);
    expect(hosts[0]).toBe(first);
    expect(hosts[1]).not.toBe(first);
  }, 360_000);

  it('down leaves no container, sandbox, network or volume behind', async () => {
    await compose('down', '-v', '--remove-orphans', '-t', '10');
    expect(await projectContainers()).toEqual([]);
    expect(await scopeContainers()).toEqual([]);
    const networks = await docker.listNetworks({ filters: { label: [`com.docker.compose.project=${project}`] } });
    expect(networks).toEqual([]);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`com.docker.compose.project=${project}`] } });
    expect(Volumes ?? []).toEqual([]);
  }, 120_000);
});
