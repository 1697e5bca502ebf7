import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
import { readSse } from '../helpers/sse';
import { startTestSystem, testEnv, type TestSystem } from '../helpers/system';

/**
 * Experiments and model pulls under shutdown and without a worker: past the grace
 * period an in-flight job goes back to the queue without spending an attempt and
 * the next worker resumes it; a queued one is cancelled by the API at once.
 */
let mongo: MongoStandin | undefined;
let fakes: FakeLlmServers;
const open: TestSystem[] = [];

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  if (!process.env.MONGO_URL) mongo = await startMongoStandin();
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await mongo?.close();
  await fakes?.close();
});

function providers() {
  return JSON.stringify([
    { name: 'local', type: 'ollama', baseURL: fakes.ollama.url, models: ['llama-test'] },
  ]);
}

async function system(env: Record<string, string>): Promise<TestSystem> {
  const s = await startTestSystem({ MONGO_URL: process.env.MONGO_URL ?? mongo!.url, LLM_PROVIDERS: providers(), ...env });
  open.push(s);
  return s;
}

/** The settings that make a second system the same system (same Redis, queue prefix, database). */
function shared(s: TestSystem): Record<string, string> {
  const c = s.config;
  return { ...testEnv(), MONGO_URL: c.MONGO_URL!, MONGO_DB: c.MONGO_DB, QUEUE_PREFIX: c.QUEUE_PREFIX, REDIS_URL: c.REDIS_URL!, LLM_PROVIDERS: providers() };
}

async function until(s: TestSystem, path: string, done: (body: any) => boolean) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await s.call('GET', path);
    if (done(res.body)) return res.body;
    if (Date.now() > deadline) throw new Error(`${path} did not get there: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const ended = (b: any) => !['queued', 'running'].includes(b.status);

it('a pull interrupted by shutdown is requeued without spending an attempt and resumes where Ollama left off', async () => {
  fakes.ollama.reset();
  fakes.ollama.pulls.script({ delayMs: 20, steps: 40 });
  const s = await system({ SHUTDOWN_GRACE_MS: '100', JOB_ATTEMPTS: '1', PULL_PROGRESS_MIN_MS: '0', PULL_PROGRESS_MIN_PERCENT: '0' });
  const created = await s.call('POST', '/v1/models/pulls', { body: { name: 'resumable:1b' } });
  const id = created.body.id;
  await readSse(`${s.url}/v1/models/pulls/${id}/events`, {
    headers: { authorization: `Bearer ${await s.token('alice')}` },
    until: (e) => e.event === 'progress' && JSON.parse(e.data).percent > 10,
  });
  await s.close(); // second stage after 100 ms: the stream is aborted, the job goes back to the queue

  const next = await system({ ...shared(s), JOB_ATTEMPTS: '1' });
  const pull = await until(next, `/v1/models/pulls/${id}`, ended);
  expect(pull).toMatchObject({ status: 'succeeded', attempts: 2, progress: { percent: 100 } });
  const pulls = fakes.ollama.requests.filter((r) => r.op === 'pull');
  expect(pulls).toHaveLength(2);
  expect(pulls[0]!.aborted).toBe(true);
  // Across both attempts the percentage never went down (the new attempt starts from the stored progress).
  const all = await readSse(`${next.url}/v1/models/pulls/${id}/events`, { headers: { authorization: `Bearer ${await next.token('alice')}` } });
  const percents = all.events.filter((e) => e.event === 'progress').map((e) => JSON.parse(e.data).percent);
  for (let i = 1; i < percents.length; i++) expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1]);
});

it('without a worker, queued experiments and pulls are cancelled by the API at once (200)', async () => {
  const apiOnly = await system({ PADDOCK_ROLE: 'api' });
  const exp = await apiOnly.call('POST', '/v1/experiments', {
    body: { task: { prompt: 'x' }, agents: [{ name: 'A', model: 'local/llama-test', systemPrompt: '' }], rounds: 1 },
  });
  expect(exp.body.status).toBe('queued');
  const cancelled = await apiOnly.call('DELETE', `/v1/experiments/${exp.body.id}`);
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');

  const pull = await apiOnly.call('POST', '/v1/models/pulls', { body: { name: 'never:1b' } });
  const del = await apiOnly.call('DELETE', `/v1/models/pulls/${pull.body.id}`);
  expect(del.status).toBe(200);
  expect(del.body.status).toBe('cancelled');
  // The model's slot is free again: a new POST starts a new pull.
  const again = await apiOnly.call('POST', '/v1/models/pulls', { body: { name: 'never:1b' } });
  expect(again.body.id).not.toBe(pull.body.id);
  await apiOnly.call('DELETE', `/v1/models/pulls/${again.body.id}`);
});
