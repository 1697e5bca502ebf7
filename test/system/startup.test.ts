import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { runPaddockUntilExit, startPaddockProcess, type PaddockProcess } from '../helpers/process';
import { testEnv } from '../helpers/system';

/**
 * Start-up fails fast on a part that does not answer, with one line naming the
 * variable to fix (no stack trace), and readiness reports what is missing,
 * workers included. Real processes (`scripts/start.ts`), real Redis and Docker.
 */
let mongo: MongoStandin | undefined;
const procs: PaddockProcess[] = [];

beforeAll(async () => {
  if (!process.env.MONGO_URL) mongo = await startMongoStandin();
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGTERM')));
  await mongo?.close();
});

const mongoUrl = () => process.env.MONGO_URL ?? mongo!.url;

/** Generous: module loading alone takes seconds on a busy host. Without the fix these never exit by themselves. */
const EXIT_WITHIN_MS = 45_000;
const STACK_FRAME = /^\s+at /m;

describe('fails fast with the variable named', () => {
  it.each([
    ['DOCKER_SOCKET', { DOCKER_SOCKET: '/nonexistent/docker.sock' }, ['DOCKER_SOCKET=/nonexistent/docker.sock']],
    ['SANDBOX_IMAGE', { SANDBOX_IMAGE: 'paddock-sandbox:no-such-tag' }, ['SANDBOX_IMAGE=paddock-sandbox:no-such-tag', 'npm run setup']],
    ['REDIS_URL', { REDIS_URL: 'redis://127.0.0.1:1' }, ['REDIS_URL=redis://127.0.0.1:1']],
    ['MONGO_URL', { MONGO_URL: 'mongodb://127.0.0.1:1' }, ['MONGO_URL=mongodb://127.0.0.1:1']],
  ])('%s', async (_name, bad, expected) => {
    const exit = await runPaddockUntilExit(testEnv({ MONGO_URL: mongoUrl(), LOG_LEVEL: 'info', ...bad }), EXIT_WITHIN_MS);
    expect(exit.signal).toBeNull(); // it exited by itself, it was not killed at the deadline
    expect(exit.code).not.toBe(0);
    for (const text of expected) expect(exit.stderr).toContain(text);
    expect(exit.stderr).not.toMatch(STACK_FRAME);
    expect(exit.stdout).not.toMatch(STACK_FRAME);
    expect(exit.stdout).not.toContain('Paddock is up');
  }, EXIT_WITHIN_MS + 10_000);

  it('names every broken part at once, and never prints credentials', async () => {
    const exit = await runPaddockUntilExit(
      testEnv({
        REDIS_URL: 'redis://paddock:hunter2-redis@127.0.0.1:1',
        MONGO_URL: 'mongodb://paddock:hunter2-mongo@127.0.0.1:1/?authSource=admin',
        DOCKER_SOCKET: '/nonexistent/docker.sock',
      }),
      EXIT_WITHIN_MS,
    );
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(exit.stderr).toContain('REDIS_URL=redis://127.0.0.1:1');
    expect(exit.stderr).toContain('MONGO_URL=mongodb://127.0.0.1:1/?authSource=admin');
    expect(exit.stderr).toContain('DOCKER_SOCKET=/nonexistent/docker.sock');
    expect(exit.stderr + exit.stdout).not.toContain('hunter2');
    expect(exit.stderr).not.toMatch(STACK_FRAME);
  }, EXIT_WITHIN_MS + 10_000);

  it('an API-only node needs neither Docker nor the sandbox image', async () => {
    const api = await startPaddockProcess(testEnv({ MONGO_URL: mongoUrl(), PADDOCK_ROLE: 'api', DOCKER_SOCKET: '/nonexistent/docker.sock' }));
    procs.push(api);
    expect(api.url).toBeDefined();
    expect(await api.stop('SIGTERM')).toBe(0);
  }, 60_000);
});

describe('readiness', () => {
  it('an API without any worker is not ready, and says why; a worker joining makes it ready', async () => {
    const env = testEnv({ MONGO_URL: mongoUrl(), WORKER_HEARTBEAT_MS: '500' });
    const api = await startPaddockProcess({ ...env, PADDOCK_ROLE: 'api' });
    procs.push(api);
    expect(api.output()).toContain('no worker is connected');

    const before = await fetch(`${api.url}/ready`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({
      status: 'unavailable',
      checks: { redis: 'ok', mongo: 'ok', workers: { ok: false, count: 0 } },
    });

    const worker = await startPaddockProcess({ ...env, PADDOCK_ROLE: 'worker' });
    procs.push(worker);
    // The worker writes its heartbeat before it says ready: no waiting needed.
    const after = await fetch(`${api.url}/ready`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({
      status: 'ready',
      checks: { redis: 'ok', mongo: 'ok', workers: { ok: true, count: 1 } },
    });

    // A stopped worker removes its heartbeat on the way out.
    expect(await worker.stop('SIGTERM')).toBe(0);
    const gone = await fetch(`${api.url}/ready`);
    expect(gone.status).toBe(503);
    expect(((await gone.json()) as any).checks.workers).toEqual({ ok: false, count: 0 });
  }, 120_000);

  it('a node with its own worker reports Docker too', async () => {
    const all = await startPaddockProcess(testEnv({ MONGO_URL: mongoUrl() }));
    procs.push(all);
    expect(all.output()).not.toContain('no worker is connected');
    const res = await fetch(`${all.url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { redis: 'ok', mongo: 'ok', docker: 'ok', workers: { ok: true, count: 1 } },
    });
  }, 60_000);
});
