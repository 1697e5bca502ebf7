import net from 'node:net';
import Docker from 'dockerode';
import { MongoClient } from 'mongodb';
import { signToken } from '../../api/auth';
import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { startPaddockProcess, type PaddockProcess } from '../helpers/process';
import { readSse } from '../helpers/sse';
import { TEST_SECRET, testEnv } from '../helpers/system';

/**
 * Ctrl-C on `npm start`, as a terminal delivers it: SIGINT to the whole
 * foreground process group (detached here, so the child leads a group of its
 * own), and, under npm, a second copy forwarded to the child. One Ctrl-C is the
 * graceful stage: the run in flight finishes, the process exits 0 by itself,
 * its private Redis outlives the drain (no ECONNREFUSED) and dies with it, and
 * no sandbox container of its scope is left. A deliberate second Ctrl-C still
 * kills the run (it is requeued).
 */
let mongo: MongoStandin | undefined;
let db: MongoClient;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const procs: PaddockProcess[] = [];

beforeAll(async () => {
  if (!process.env.MONGO_URL) mongo = await startMongoStandin();
  db = new MongoClient(process.env.MONGO_URL ?? mongo!.url);
});
afterAll(async () => {
  // Whatever a failed test left running: the whole group, private redis-server included.
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) killGroup(p, 'SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await db?.close();
  await mongo?.close();
});

function killGroup(p: PaddockProcess, signal: NodeJS.Signals): void {
  process.kill(-p.child.pid!, signal);
}

/** `npm start` without REDIS_URL: the process starts its own redis-server. */
async function start(overrides: Record<string, string> = {}) {
  const env = testEnv({ REDIS_URL: '', MONGO_URL: process.env.MONGO_URL ?? mongo!.url, SHUTDOWN_GRACE_MS: '20000', ...overrides });
  const p = await startPaddockProcess(env, { detached: true });
  procs.push(p);
  const redisUrl = p.output().match(/REDIS_URL=(redis:\/\/\S+)/)![1]!;
  return { p, env, redisUrl };
}

async function submitAndWaitStarted(url: string, code: string): Promise<string> {
  const headers = { authorization: `Bearer ${await signToken({ secret: TEST_SECRET }, { sub: 'alice', role: 'user' })}` };
  const res = await fetch(`${url}/v1/runs`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ language: 'bash', code }),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  await readSse(`${url}/v1/runs/${id}/events`, { headers, until: (e) => e.event === 'stdout' });
  return id;
}

async function runDoc(dbName: string, id: string) {
  return db.db(dbName).collection('runs').findOne({ _id: id as never });
}

async function containersOf(scope: string) {
  return docker.listContainers({ all: true, filters: { label: [`paddock.scope=${scope}`] } });
}

/** Whether anything still listens at a redis:// URL (the private server must die with its owner). */
function listening(redisUrl: string): Promise<boolean> {
  const { hostname, port } = new URL(redisUrl);
  return new Promise((resolve) => {
    const s = net.connect({ host: hostname, port: Number(port) });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('Ctrl-C', () => {
  it.each([
    ['from a terminal (SIGINT to the process group)', false],
    ['under npm (SIGINT to the group, and npm forwards one more)', true],
  ])('%s lets the run in flight finish, then exits 0 by itself', async (_name, npmCopy) => {
    const { p, env, redisUrl } = await start();
    const id = await submitAndWaitStarted(p.url!, 'echo go; sleep 1.5; echo finished');

    killGroup(p, 'SIGINT');
    if (npmCopy) p.child.kill('SIGINT');
    const code = await p.exited;

    expect(code).toBe(0);
    const run = await runDoc(env.MONGO_DB!, id);
    expect(run).toMatchObject({ status: 'succeeded', attempts: 1, result: { stdout: 'go\nfinished\n' } });
    expect(p.output()).not.toContain('ECONNREFUSED');
    expect(p.output()).not.toContain('second signal');
    expect(await containersOf(env.QUEUE_PREFIX!)).toEqual([]);
    expect(await listening(redisUrl)).toBe(false);
  }, 120_000);

  it('a deliberate second Ctrl-C kills the run in flight; it is requeued, and the process still exits cleanly', async () => {
    // The run's own time limit must not end it first.
    const { p, env, redisUrl } = await start({ JOB_ATTEMPTS: '1', SANDBOX_MAX_TIMEOUT_MS: '120000' });
    const id = await submitAndWaitStarted(p.url!, 'echo go; sleep 60; echo finished');

    killGroup(p, 'SIGINT');
    p.child.kill('SIGINT'); // npm's copy of the same keypress: not a second stage
    await waitForOutput(p, 'shutting down');
    // A human pressing Ctrl-C again, well after the first.
    await new Promise((r) => setTimeout(r, 1500));
    killGroup(p, 'SIGINT');
    p.child.kill('SIGINT');
    const code = await p.exited;

    expect(code).toBe(0);
    expect(p.output()).toContain('second signal');
    // Killed by the shutdown, not by its own fault: not finished (not failed, not `error` with JOB_ATTEMPTS=1), left for retry.
    const run = await runDoc(env.MONGO_DB!, id);
    expect(['queued', 'running']).toContain(run?.status);
    expect(p.output()).not.toContain('ECONNREFUSED');
    expect(await containersOf(env.QUEUE_PREFIX!)).toEqual([]);
    expect(await listening(redisUrl)).toBe(false);
  }, 120_000);
});

describe('the private redis-server', () => {
  it('does not outlive a Paddock killed with SIGKILL', async () => {
    // API only: a SIGKILLed worker would leave its pool container for a reaper.
    const { p, redisUrl } = await start({ PADDOCK_ROLE: 'api' });
    expect(await listening(redisUrl)).toBe(true);
    p.child.kill('SIGKILL'); // the process only, not its group: as `kill -9 <pid>` does
    await p.exited;
    const deadline = Date.now() + 10_000;
    while ((await listening(redisUrl)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await listening(redisUrl)).toBe(false);
  }, 60_000);
});

async function waitForOutput(p: PaddockProcess, text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (p.output().includes(text)) return resolve();
      if (p.child.exitCode !== null) return reject(new Error(`exited before printing ${text}`));
      setTimeout(check, 20);
    };
    check();
  });
}
