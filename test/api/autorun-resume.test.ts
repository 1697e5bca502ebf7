import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
import { fakeProvidersEnv, startLlmTestSystem } from '../helpers/llm-system';
import { startPaddockProcess, type PaddockProcess } from '../helpers/process';
import { isDone, testEnv, type TestSystem } from '../helpers/system';

/** A worker killed with SIGKILL between attempts: the run resumes without asking the model again for the finished attempt. */
let fakes: FakeLlmServers;
let mongo: MongoStandin | undefined;
let api: TestSystem;
const workers: PaddockProcess[] = [];

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  if (!process.env.MONGO_URL) mongo = await startMongoStandin();
  api = await startLlmTestSystem(fakes, {
    PADDOCK_ROLE: 'api',
    MONGO_URL: process.env.MONGO_URL ?? mongo!.url,
  });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop('SIGTERM')));
  await api?.close();
  await fakes?.close();
  await mongo?.close();
});

async function worker(): Promise<PaddockProcess> {
  const c = api.config;
  const w = await startPaddockProcess({
    ...testEnv(fakeProvidersEnv(fakes)),
    PADDOCK_ROLE: 'worker',
    REDIS_URL: c.REDIS_URL!,
    MONGO_URL: c.MONGO_URL!,
    MONGO_DB: c.MONGO_DB,
    QUEUE_PREFIX: c.QUEUE_PREFIX,
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_CHECK_MS: '1000',
    WORKER_HEARTBEAT_MS: '500',
    SANDBOX_REAP_INTERVAL_MS: '1000',
  });
  workers.push(w);
  return w;
}

it('kill -9 between attempts: the finished attempt is not generated again, no artifact is duplicated', async () => {
  const tests = [{ name: 'three', code: 'assert square(3) == 9' }];
  const reply = (code: string, gate?: Promise<unknown>) => ({ type: 'text' as const, text: JSON.stringify({ code }), gate });
  const never = new Promise<never>(() => undefined);
  fakes.openai.script(
    reply('def square(x):\n    return x + x\n'), // attempt 1: fails its test
    reply('unused', never), // attempt 2, first try: the worker dies while waiting for it
    reply('def square(x):\n    return x * x\n'), // attempt 2 after the restart
  );
  const doomed = await worker();
  const created = await api.call('POST', '/v1/runs', {
    body: { kind: 'autorun', language: 'python', prompt: 'square', model: 'fake/coder', tests, maxAttempts: 3 },
  });
  // Attempt 2's model call is in flight: attempt 1 (generation + execution) is complete.
  await fakes.openai.waitForRequests(2);
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  await worker();

  const run = await api.waitFor(created.body.id, isDone, { timeoutMs: 45_000 });
  expect(run.status).toBe('succeeded');
  expect(run.result).toMatchObject({ succeededAttempt: 2, attempts: 2 });
  const chats = fakes.openai.requests.filter((r) => r.op === 'chat');
  expect(chats).toHaveLength(3); // attempt 1 once; attempt 2 twice (its first call died with the worker)
  const firstAttemptCalls = chats.filter((r) => !JSON.stringify(r.body.messages).includes('previous answer failed'));
  expect(firstAttemptCalls).toHaveLength(1);
  const artifacts = await api.call('GET', `/v1/runs/${created.body.id}/artifacts`);
  expect(artifacts.body.items.map((a: any) => `${a.attempt}:${a.kind}`)).toEqual(['1:execution', '1:generation', '2:execution', '2:generation']);
  expect(run.attempts).toBe(2); // two job attempts (the killed one and the resumed one)
});
