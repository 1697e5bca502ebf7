import { signToken } from '../../api/auth';
import { loadConfig } from '../../core/config';
import { silentLogger } from '../../core/logger';
import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { startSystem } from '../../scripts/system';
import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
import { startPaddockProcess, type PaddockProcess } from '../helpers/process';
import { readSse } from '../helpers/sse';
import { testClient, testEnv, type TestSystem } from '../helpers/system';

/**
 * A worker process killed with SIGKILL in the middle of an experiment: a new
 * worker resumes the conversation after the last stored message — no message
 * stored twice, none asked of a model twice (counted at the fake servers).
 */
let mongo: MongoStandin | undefined;
let fakes: FakeLlmServers;
let api: TestSystem;
let env: Record<string, string>;
const procs: PaddockProcess[] = [];
let release: () => void = () => undefined;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  if (!process.env.MONGO_URL) mongo = await startMongoStandin();
  env = testEnv({
    MONGO_URL: process.env.MONGO_URL ?? mongo!.url,
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_CHECK_MS: '1000',
    WORKER_HEARTBEAT_MS: '500',
    LLM_PROVIDERS: JSON.stringify([
      { name: 'openai', type: 'openai', baseURL: fakes.openai.baseURL, apiKeyEnv: 'PADDOCK_TEST_EXP_KEY', models: ['gpt-test'] },
      { name: 'anthropic', type: 'anthropic', baseURL: fakes.anthropic.baseURL, apiKeyEnv: 'PADDOCK_TEST_EXP_KEY', models: ['claude-test'] },
      { name: 'ollama', type: 'ollama', baseURL: fakes.ollama.url, models: ['llama-test'] },
    ]),
    PADDOCK_TEST_EXP_KEY: 'sk-test-experiments',
  });
  // The API runs in this process without a worker; workers are separate OS processes.
  const config = loadConfig({ ...env, PADDOCK_ROLE: 'api' });
  const system = await startSystem(config, silentLogger());
  api = testClient(system.api!.url, config, system, (sub, role = 'user') => signToken({ secret: config.JWT_SECRET }, { sub, role }));
});

afterAll(async () => {
  release();
  await Promise.all(procs.map((p) => p.stop('SIGTERM')));
  await api?.close();
  await mongo?.close();
  await fakes?.close();
});

async function spawnWorker(): Promise<PaddockProcess> {
  const p = await startPaddockProcess({ ...env, PADDOCK_ROLE: 'worker' });
  procs.push(p);
  return p;
}

it('kill -9 of the worker mid-experiment: a new worker resumes without repeating or duplicating a message', async () => {
  const say = (who: string, n: number) => ({ type: 'text' as const, text: `${who} turn ${n}.` });
  fakes.openai.script(...[1, 2, 3, 4].map((n) => say('Ada', n)));
  // Bo's second answer never comes: the worker dies waiting for it.
  fakes.anthropic.script(say('Bo', 1), { type: 'text', gate: new Promise<void>((r) => (release = r)) }, ...[2, 3, 4].map((n) => say('Bo', n)));
  fakes.ollama.script(...[1, 2, 3, 4].map((n) => say('Cy', n)));

  const doomed = await spawnWorker();
  const created = await api.call('POST', '/v1/experiments', {
    body: {
      task: { prompt: 'Plan a picnic.' },
      agents: [
        { name: 'Ada', model: 'openai/gpt-test', systemPrompt: 'Be brief.' },
        { name: 'Bo', model: 'anthropic/claude-test', systemPrompt: 'Be brief.' },
        { name: 'Cy', model: 'ollama/llama-test', systemPrompt: 'Be brief.' },
      ],
      rounds: 4,
    },
  });
  expect(created.status).toBe(202);
  const id = created.body.id;

  // Bo's second request is message 5: messages 1–4 are stored by now.
  const [, inFlight] = await fakes.anthropic.waitForRequests(2);
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  await inFlight!.closed;
  await spawnWorker();

  const deadline = Date.now() + 45_000;
  let exp: any;
  do {
    await new Promise((r) => setTimeout(r, 100));
    exp = (await api.call('GET', `/v1/experiments/${id}`)).body;
  } while (['queued', 'running'].includes(exp.status) && Date.now() < deadline);
  expect(exp.status).toBe('succeeded');
  expect(exp.attempts).toBe(2);
  expect(exp.totals.messages).toBe(12);

  const conversation = (await api.call('GET', `/v1/experiments/${id}/conversations/1`)).body;
  expect(conversation.messages.map((m: any) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  expect(conversation.messages.map((m: any) => m.content)).toEqual([1, 2, 3, 4].flatMap((n) => [`Ada turn ${n}.`, `Bo turn ${n}.`, `Cy turn ${n}.`]));

  // 12 answers + the one lost with the killed worker; nothing stored was asked for again.
  const chats = (f: { requests: { op: string }[] }) => f.requests.filter((r) => r.op === 'chat').length;
  expect([chats(fakes.openai), chats(fakes.anthropic), chats(fakes.ollama)]).toEqual([4, 5, 4]);

  const auth = { authorization: `Bearer ${await api.token('alice')}` };
  const stream = await readSse(`${api.url}/v1/experiments/${id}/events`, { headers: auth });
  const messages = stream.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data).seq);
  expect(messages).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const running = stream.events.filter((e) => e.event === 'status' && JSON.parse(e.data).status === 'running');
  expect(running.map((e) => JSON.parse(e.data).attempt)).toEqual([1, 2]);
  expect(stream.events.filter((e) => e.event === 'end')).toHaveLength(1);
});
