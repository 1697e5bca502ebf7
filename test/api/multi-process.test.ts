import Docker from 'dockerode';
import { FAST_FAILOVER, startSplitSystem, type SplitSystem } from '../helpers/split-system';
import { readSse } from '../helpers/sse';
import { isDone, type TestSystem } from '../helpers/system';

/**
 * Several Paddock processes sharing one Redis and one MongoDB form one system:
 * a second API streams and cancels a run the first accepted, and a worker killed
 * with SIGKILL mid-run is replaced without losing or duplicating the run.
 */
let split: SplitSystem;
let first: TestSystem;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

beforeAll(async () => {
  // The first API runs in this process, without a worker of its own.
  split = await startSplitSystem(FAST_FAILOVER);
  first = split.api;
});

afterAll(async () => {
  await split?.close();
});

const spawnRole = (role: 'api' | 'worker') => split.spawn(role);

async function sandboxContainers(runId: string) {
  return docker.listContainers({ all: true, filters: { label: [`paddock.run=${runId}`] } });
}

describe('one system across processes', () => {
  it('a second API process streams a run the first accepted, and cancels it', async () => {
    await spawnRole('worker');
    const second = await spawnRole('api');
    const created = await first.call('POST', '/v1/runs', { body: { language: 'bash', code: 'echo tick; sleep 30' } });
    expect(created.status).toBe(202);
    const id = created.body.id;
    const auth = { authorization: `Bearer ${await first.token('alice')}` };

    const live = await readSse(`${second.url}/v1/runs/${id}/events`, { headers: auth, until: (e) => e.event === 'stdout' });
    expect(live.events.map((e) => e.event)).toEqual(['status', 'status', 'stdout']);
    expect(JSON.parse(live.events[2]!.data)).toEqual({ chunk: 'tick\n' });

    const del = await fetch(`${second.url}/v1/runs/${id}`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(202); // a worker holds it: it is killed there
    const rest = await readSse(`${second.url}/v1/runs/${id}/events`, { headers: { ...auth, 'last-event-id': '3' } });
    expect(rest.events.map((e) => [e.event, e.id])).toEqual([
      ['status', '4'],
      ['result', '5'],
      ['end', '6'],
    ]);
    expect(JSON.parse(rest.events[0]!.data).status).toBe('cancelled');
    const run = await first.waitFor(id, isDone);
    expect(run.status).toBe('cancelled');
    expect(await sandboxContainers(id)).toEqual([]);
  });

  it('kill -9 of the worker mid-run: a new worker completes it, with one terminal state and one result', async () => {
    await split.stopSpawned();
    const doomed = await spawnRole('worker');
    const created = await first.call('POST', '/v1/runs', {
      body: { language: 'python', code: 'import time\nprint("start", flush=True)\ntime.sleep(2)\nprint("done")' },
    });
    const id = created.body.id;
    const auth = { authorization: `Bearer ${await first.token('alice')}` };
    await readSse(`${first.url}/v1/runs/${id}/events`, { headers: auth, until: (e) => e.event === 'stdout' });

    doomed.child.kill('SIGKILL');
    await doomed.exited;
    await spawnRole('worker');

    const run = await first.waitFor(id, isDone, { timeoutMs: 45_000 });
    expect(run.status).toBe('succeeded');
    expect(run.result.stdout).toBe('start\ndone\n');
    expect(run.attempts).toBe(2);

    const all = await readSse(`${first.url}/v1/runs/${id}/events`, { headers: auth });
    const terminal = all.events.filter((e) => e.event === 'status' && JSON.parse(e.data).status === 'succeeded');
    expect(terminal).toHaveLength(1);
    expect(all.events.filter((e) => e.event === 'result')).toHaveLength(1);
    expect(all.events.filter((e) => e.event === 'end')).toHaveLength(1);
    const attempts = all.events.filter((e) => e.event === 'status' && JSON.parse(e.data).status === 'running');
    expect(attempts.map((e) => JSON.parse(e.data).attempt)).toEqual([1, 2]);

    // The dead worker's container is reaped by the new worker once its heartbeat lapses.
    const deadline = Date.now() + 15_000;
    while ((await sandboxContainers(id)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await sandboxContainers(id)).toEqual([]);
  });
});
