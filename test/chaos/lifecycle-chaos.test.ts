import Docker from 'dockerode';
import { signToken } from '../../api/auth';
import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { startFakeOllama, startFakeOpenAI, type FakeLlmServer, type FakeOllamaServer } from '../fakes/llm';
import { startDurableRedis, type DurableRedis } from '../helpers/durable-redis';
import { startPaddockProcess, type PaddockProcess } from '../helpers/process';
import { waitUntil } from '../helpers/split-system';
import { readSse } from '../helpers/sse';
import { TERMINAL, testEnv } from '../helpers/system';

/**
 * The lifecycle under faults, from outside: an API process and worker
 * processes share one append-only Redis and one MongoDB. Workers are killed
 * with SIGKILL at random moments, every worker under one run is killed again
 * and again, and Redis itself is killed and restarted. Every accepted job must
 * end in exactly one terminal state that names its cause, with one `end` on
 * its stream and no container left behind.
 */
jest.setTimeout(300_000);

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let redis: DurableRedis;
let mongo: MongoStandin;
let llm: FakeLlmServer;
let ollama: FakeOllamaServer;
let env: Record<string, string>;
let api: PaddockProcess;
let token: string;
let workers: PaddockProcess[] = [];
const accepted: { path: string; id: string }[] = [];

beforeAll(async () => {
  [redis, mongo, llm, ollama] = await Promise.all([startDurableRedis(), startMongoStandin(), startFakeOpenAI(['chat']), startFakeOllama()]);
  env = testEnv({
    REDIS_URL: redis.url,
    MONGO_URL: mongo.url,
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_CHECK_MS: '1000',
    WORKER_HEARTBEAT_MS: '500',
    SANDBOX_REAP_INTERVAL_MS: '1000',
    ORPHAN_RUN_AGE_MS: '1500',
    JOB_ATTEMPTS: '3',
    LLM_PROVIDERS: JSON.stringify([
      { name: 'fake', type: 'openai-compatible', baseURL: llm.baseURL, models: ['chat'] },
      { name: 'local', type: 'ollama', baseURL: ollama.url, models: ['tiny:1b'] },
    ]),
  });
  api = await startPaddockProcess({ ...env, PADDOCK_ROLE: 'api' });
  token = await signToken({ secret: env.JWT_SECRET! }, { sub: 'chaos', role: 'user' });
  await Promise.all([spawnWorker(), spawnWorker()]);
});

afterAll(async () => {
  await settleSpawns();
  await Promise.all([...workers, api].filter(Boolean).map((p) => p.stop('SIGTERM')));
  await Promise.all([redis?.close(), mongo?.close(), llm?.close(), ollama?.close()]);
});

let spawning = 0;
const pendingSpawns = new Set<Promise<unknown>>();
function spawnWorker(): Promise<PaddockProcess> {
  spawning += 1;
  const p = startPaddockProcess({ ...env, PADDOCK_ROLE: 'worker' }).then((w) => {
    workers.push(w);
    return w;
  });
  const settled = p.finally(() => {
    spawning -= 1;
    pendingSpawns.delete(settled);
  });
  pendingSpawns.add(settled);
  return p;
}

/** Every worker started so far is up: a kill of "all workers" then really reaches all of them. */
async function settleSpawns(): Promise<void> {
  while (pendingSpawns.size > 0) await Promise.allSettled([...pendingSpawns]);
}

function killWorker(w: PaddockProcess): Promise<unknown> {
  workers = workers.filter((x) => x !== w);
  return w.stop('SIGKILL');
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function submit(path: string, body: unknown): Promise<string> {
  const res = await call('POST', path, body);
  expect(res.status).toBe(202);
  accepted.push({ path, id: res.body.id });
  return res.body.id;
}


/** Killed workers, restarts and retries with backoff: a job may take this long to move on. */
const CHAOS_WAIT_MS = 120_000;

const terminal = (path: string, id: string) =>
  waitUntil(`${path}/${id} to end`, async () => {
    const res = await call('GET', `${path}/${id}`);
    return res.status === 200 && TERMINAL.includes(res.body.status) ? res.body : undefined;
  }, CHAOS_WAIT_MS);

/** Exactly one `end`, ids strictly increasing, and the terminal status event agrees with the document. */
async function expectOneEnd(path: string, id: string, status: string): Promise<void> {
  const { events } = await readSse(`${api.url}${path}/${id}/events`, { headers: { authorization: `Bearer ${token}` } });
  const ids = events.map((e) => Number(e.id));
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(new Set(ids).size).toBe(ids.length);
  const ends = events.filter((e) => e.event === 'end');
  expect(ends).toHaveLength(1);
  expect(JSON.parse(ends[0]!.data).status).toBe(status);
  expect(events[events.length - 1]!.event).toBe('end');
}

it('random SIGKILLs of workers during 40 runs: every run ends once, succeeded or error naming the cause', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) ids.push(await submit('/v1/runs', { language: 'bash', code: `sleep 0.$((RANDOM % 8 + 2)); echo run-${i}` }));
  let kills = 0;
  const rand = (n: number) => Math.floor(Math.random() * n);
  while (kills < 12) {
    await new Promise((r) => setTimeout(r, 300 + rand(1200)));
    const victim = workers[rand(workers.length)];
    if (victim) {
      await killWorker(victim);
      kills += 1;
    }
    if (workers.length + spawning < 2) void spawnWorker();
  }
  while (workers.length + spawning < 2) await spawnWorker();
  await settleSpawns(); // none may join later, behind the next test's kills
  for (const id of ids) {
    const run = await terminal('/v1/runs', id);
    if (run.status === 'succeeded') {
      expect(run.result.stdout).toMatch(/^run-\d+\n$/);
    } else {
      expect(run.status).toBe('error');
      expect(run.error.code).toBe('worker_lost');
    }
    await expectOneEnd('/v1/runs', id, run.status);
  }
  expect(kills).toBeGreaterThanOrEqual(10);
});

it('a run whose every worker is killed, again and again, ends in error worker_lost (not running forever)', async () => {
  const id = await submit('/v1/runs', { language: 'bash', code: 'sleep 20; echo never' });
  let lastAttempt = 0;
  for (let round = 0; round < 8; round++) {
    const run = await waitUntil('the run to be claimed again or end', async () => {
      const r = (await call('GET', `/v1/runs/${id}`)).body;
      return TERMINAL.includes(r.status) || (r.status === 'running' && r.attempts > lastAttempt) ? r : undefined;
    }, CHAOS_WAIT_MS);
    if (TERMINAL.includes(run.status)) break;
    lastAttempt = run.attempts;
    await settleSpawns();
    await Promise.all([...workers].map(killWorker));
    await Promise.all([spawnWorker(), spawnWorker()]);
  }
  const run = await terminal('/v1/runs', id);
  expect(run.status).toBe('error');
  expect(run.error.code).toBe('worker_lost');
  expect(run.error.message).toMatch(/stopped \d+ times/);
  await expectOneEnd('/v1/runs', id, 'error');
});

it('an experiment and a model pull survive worker kills mid-flow', async () => {
  llm.script(...Array.from({ length: 40 }, (_, i) => ({ type: 'text' as const, text: `turn ${i}`, chunks: 4, delayMs: 150 })));
  ollama.pulls.script({ delayMs: 60, steps: 30 }, { delayMs: 60, steps: 30 }, { delayMs: 60, steps: 30 });
  const exp = await submit('/v1/experiments', {
    task: { prompt: 'count' },
    agents: [{ name: 'Ada', model: 'fake/chat', systemPrompt: 'count' }],
    rounds: 6,
  });
  const pull = await submit('/v1/models/pulls', { name: 'tiny:1b', server: 'local' });
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 1500));
    await settleSpawns();
    await Promise.all([...workers].map(killWorker));
    await Promise.all([spawnWorker(), spawnWorker()]);
  }
  const e = await terminal('/v1/experiments', exp);
  const p = await terminal('/v1/models/pulls', pull);
  expect(e.status).toBe('succeeded');
  expect(p.status).toBe('succeeded');
  await expectOneEnd('/v1/experiments', exp, 'succeeded');
  await expectOneEnd('/v1/models/pulls', pull, 'succeeded');
});

it('Redis killed and restarted mid-flow loses no accepted run', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await submit('/v1/runs', { language: 'bash', code: `sleep 0.5; echo after-${i}` }));
  await redis.kill();
  // While Redis is down nothing is accepted (503), and nothing half-written stays behind.
  const refused = await call('POST', '/v1/runs', { language: 'bash', code: 'echo refused' });
  expect(refused.status).toBe(503);
  expect(refused.body.error.code).toBe('unavailable');
  await new Promise((r) => setTimeout(r, 1000));
  await redis.restart();
  for (const id of ids) {
    const run = await terminal('/v1/runs', id);
    expect(run.status).toBe('succeeded');
    await expectOneEnd('/v1/runs', id, 'succeeded');
  }
  const mine = (await call('GET', '/v1/runs?limit=100')).body.items as { status: string }[];
  expect(mine.filter((r) => !TERMINAL.includes(r.status))).toEqual([]);
});

it('leaves no job unfinished and no container behind', async () => {
  for (const { path, id } of accepted) expect(TERMINAL).toContain((await call('GET', `${path}/${id}`)).body.status);
  // Killed workers' containers (running programs and pool containers alike) are reaped by the live ones.
  const live = workers.map((w) => `-${w.child.pid}-`);
  await waitUntil('orphaned containers to be reaped', async () => {
    const all = await docker.listContainers({ all: true, filters: { label: [`paddock.scope=${env.QUEUE_PREFIX}`] } });
    const orphans = all.filter((c) => !live.some((pid) => (c.Labels['paddock.owner'] ?? '').includes(pid)));
    return orphans.length === 0 ? true : undefined;
  }, 60_000);
});
