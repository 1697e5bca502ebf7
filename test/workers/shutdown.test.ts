import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { readSse } from '../helpers/sse';
import { isDone, startTestSystem, testEnv, type TestSystem } from '../helpers/system';

/** Two-stage shutdown: in-flight runs finish within the grace period; past it they are requeued, not failed. */
let mongo: MongoStandin | undefined;
const open: TestSystem[] = [];

beforeAll(async () => {
  if (!process.env.MONGO_URL) mongo = await startMongoStandin();
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await mongo?.close();
});

async function system(env: Record<string, string>): Promise<TestSystem> {
  const s = await startTestSystem(env);
  open.push(s);
  return s;
}

async function started(s: TestSystem, id: string) {
  const headers = { authorization: `Bearer ${await s.token('alice')}` };
  await readSse(`${s.url}/v1/runs/${id}/events`, { headers, until: (e) => e.event === 'stdout' });
}

it('lets an in-flight run finish during the grace period', async () => {
  const s = await system({ MONGO_URL: process.env.MONGO_URL ?? mongo!.url, SHUTDOWN_GRACE_MS: '10000' });
  const created = await s.call('POST', '/v1/runs', { body: { language: 'bash', code: 'echo go; sleep 1; echo finished' } });
  await started(s, created.body.id);
  const apiOnly = await system({ ...shared(s), PADDOCK_ROLE: 'api' });
  await s.close(); // first stage: waits for the run
  const run = await apiOnly.waitFor(created.body.id, isDone);
  expect(run.status).toBe('succeeded');
  expect(run.result.stdout).toBe('go\nfinished\n');
  expect(run.attempts).toBe(1);
});

it('past the grace period kills the run and requeues it without spending an attempt', async () => {
  const s = await system({ MONGO_URL: process.env.MONGO_URL ?? mongo!.url, SHUTDOWN_GRACE_MS: '300', JOB_ATTEMPTS: '1' });
  const created = await s.call('POST', '/v1/runs', { body: { language: 'bash', code: 'echo go; sleep 2; echo finished' } });
  await started(s, created.body.id);
  await s.close(); // second stage after 300 ms: the container is killed, the job goes back to the queue
  // JOB_ATTEMPTS=1: had the shutdown spent the only attempt, the run would now be lost or `error`.
  const next = await system({ ...shared(s), JOB_ATTEMPTS: '1' });
  const run = await next.waitFor(created.body.id, isDone);
  expect(run.status).toBe('succeeded');
  expect(run.result.stdout).toBe('go\nfinished\n');
  expect(run.attempts).toBe(2);
});

/** The settings that make a second system the same system (same Redis, queue prefix, database). */
function shared(s: TestSystem): Record<string, string> {
  const c = s.config;
  return { ...testEnv(), MONGO_URL: c.MONGO_URL!, MONGO_DB: c.MONGO_DB, QUEUE_PREFIX: c.QUEUE_PREFIX, REDIS_URL: c.REDIS_URL! };
}
