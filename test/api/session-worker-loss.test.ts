import Docker from 'dockerode';
import { FAST_FAILOVER, startSplitSystem, waitUntil, type SplitSystem } from '../helpers/split-system';
import { readSse } from '../helpers/sse';
import { isDone, type TestSystem } from '../helpers/system';

/**
 * A session lives in one worker's container: when that worker goes, so does
 * the session, with a clear end, never a hang. The API runs in this process;
 * workers are separate OS processes, killed for real.
 */
let split: SplitSystem;
let api: TestSystem;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

beforeAll(async () => {
  split = await startSplitSystem({ ...FAST_FAILOVER, SANDBOX_MAX_TIMEOUT_MS: '30000' });
  api = split.api;
});

afterAll(async () => {
  await split?.close();
});

const spawnWorker = () => split.spawn('worker');

async function openSession(): Promise<{ id: string; containerId: string }> {
  const res = await api.call('POST', '/v1/sessions', { body: { language: 'python' } });
  expect([res.status, res.body.status]).toEqual([201, 'open']);
  const admin = await api.call('GET', `/v1/sessions/${res.body.id}`, { role: 'admin' });
  return { id: res.body.id, containerId: admin.body.containerId };
}

async function startLongRun(sessionId: string): Promise<string> {
  const res = await api.call('POST', `/v1/sessions/${sessionId}/runs`, { body: { code: 'import time\nprint("started", flush=True)\ntime.sleep(25)' } });
  expect(res.status).toBe(202);
  await readSse(`${api.url}/v1/runs/${res.body.id}/events`, { headers: { authorization: `Bearer ${await api.token('alice')}` }, until: (e) => e.event === 'stdout' });
  return res.body.id;
}

const exists = (containerId: string) => docker.getContainer(containerId).inspect().then(() => true, () => false);

describe('the worker holding a session', () => {
  it('killed (SIGKILL): the session ends worker_lost, its running run session_ended, its container is reaped', async () => {
    const doomed = await spawnWorker();
    const { id, containerId } = await openSession();
    const runId = await startLongRun(id);
    const started = Date.now();
    doomed.child.kill('SIGKILL');
    await doomed.exited;

    // Requests meanwhile get an answer, never a hang: 503 while the worker's liveness key lasts, then 409.
    const ended = await waitUntil('the session to end', async () => {
      const res = await api.call('GET', `/v1/sessions/${id}`);
      return res.body.status === 'ended' ? res.body : undefined;
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ended).toMatchObject({ endReason: 'worker_lost', error: { code: 'worker_lost' } });
    const run = await api.waitFor(runId, isDone, { timeoutMs: 10_000 });
    expect([run.status, run.error.code]).toEqual(['error', 'session_ended']);
    const late = await api.call('POST', `/v1/sessions/${id}/runs`, { body: { code: 'print(1)' } });
    expect([late.status, late.body.error.code, late.body.error.details]).toEqual([409, 'session_ended', { endReason: 'worker_lost' }]);

    // Another worker's reaper removes the container the dead worker left, and nothing takes the session up again.
    await spawnWorker();
    await waitUntil('the container to be reaped', async () => ((await exists(containerId)) ? undefined : true));
    expect((await api.call('GET', `/v1/sessions/${id}`)).body.endReason).toBe('worker_lost');
  });

  it('shut down (SIGTERM): the session ends worker_shutdown at once, and its container goes', async () => {
    await split.stopSpawned();
    const worker = await spawnWorker();
    const { id, containerId } = await openSession();
    const runId = await startLongRun(id);
    await worker.stop('SIGTERM');
    const res = await api.call('GET', `/v1/sessions/${id}`);
    expect(res.body).toMatchObject({ status: 'ended', endReason: 'worker_shutdown', error: { code: 'worker_shutdown' } });
    const run = await api.waitFor(runId, isDone, { timeoutMs: 10_000 });
    expect([run.status, run.error?.code]).toEqual(['error', 'session_ended']);
    expect(await exists(containerId)).toBe(false);
  });
});
