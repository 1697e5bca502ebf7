import { Redis } from 'ioredis';
import { EventLog } from '../../core/events';
import { silentLogger } from '../../core/logger';
import { ensureModelInstalled, ModelPullError } from '../../core/models/ensure';
import { openQueues, type Queues } from '../../core/queues';
import { openStore, type Store } from '../../core/store';
import { resolveOllamaServer } from '../../core/models/servers';
import { startFakeOllama, type FakeOllamaServer } from '../fakes/llm';
import { DEFAULT_LAYERS } from '../fakes/llm/ollama-pull';
import { readSse, type SseEvent } from '../helpers/sse';
import { startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Model pulls end to end: API → `model-pulls` queue → worker → the fake Ollama
 * server's /api/pull NDJSON stream (multi-layer, with scripted failures) → events.
 */
let ollama: FakeOllamaServer;
let t: TestSystem;

beforeAll(async () => {
  ollama = await startFakeOllama();
  t = await startTestSystem({
    LLM_PROVIDERS: JSON.stringify([{ name: 'local', type: 'ollama', baseURL: ollama.url, models: ['llama3.2:1b'] }]),
    PULL_PROGRESS_MIN_MS: '0',
    PULL_PROGRESS_MIN_PERCENT: '0',
    PULL_STALL_MS: '300',
    PULL_MAX_RETRIES: '2',
    PULL_RETRY_BASE_MS: '10',
  });
});

afterAll(async () => {
  await t?.close();
  await ollama?.close();
});

beforeEach(() => ollama.reset());

const auth = async (sub = 'alice') => ({ authorization: `Bearer ${await t.token(sub)}` });
const data = (e: SseEvent) => JSON.parse(e.data);
const pullRequests = () => ollama.requests.filter((r) => r.op === 'pull');

async function pullToEnd(name: string, as = 'alice') {
  const created = await t.call('POST', '/v1/models/pulls', { body: { name }, as });
  expect(created.status).toBe(202);
  const stream = await readSse(`${t.url}/v1/models/pulls/${created.body.id}/events`, { headers: await auth(as) });
  return { id: created.body.id as string, events: stream.events, pull: await pullEnded(created.body.id, as) };
}

/** The `end` event goes out before the document turns terminal (events reach MongoDB first): poll for it. */
async function pullEnded(id: string, as = 'alice') {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await t.call('GET', `/v1/models/pulls/${id}`, { as });
    if (!['queued', 'running'].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`pull ${id} did not end: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function percents(events: SseEvent[]): number[] {
  return events.filter((e) => e.event === 'progress').map((e) => data(e).percent);
}

function expectMonotonic(values: number[]) {
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]!);
}

describe('model pulls', () => {
  it('aggregates multi-layer progress into one percentage that rises monotonically to 100, then lists the model', async () => {
    const { events, pull } = await pullToEnd('tiny:1b');
    expect(pull.status).toBe('succeeded');
    const seen = percents(events);
    expectMonotonic(seen);
    expect(seen.at(-1)).toBe(100);
    expect(seen.filter((p) => p > 0 && p < 100).length).toBeGreaterThan(3);
    const last = data(events.filter((e) => e.event === 'progress').at(-1)!);
    const total = DEFAULT_LAYERS.reduce((a, b) => a + b, 0);
    expect(last).toMatchObject({ percent: 100, completedBytes: total, totalBytes: total, layers: 3, phase: 'success', etaSeconds: 0 });
    expect(events.map((e) => e.event).at(-1)).toBe('end');
    expect(new Set(events.filter((e) => e.event === 'progress').map((e) => data(e).phase))).toEqual(
      new Set(['manifest', 'downloading', 'verifying', 'writing', 'success']),
    );
    expect(pull.progress.percent).toBe(100);

    const models = await t.call('GET', '/v1/models');
    expect(models.body.server).toBe('local');
    expect(models.body.items.map((m: any) => m.name)).toContain('tiny:1b');
  });

  it('survives an error line mid-stream and a dropped connection (retried; Ollama resumes the layers)', async () => {
    ollama.pulls.script({ fail: { after: 3, kind: 'error', message: 'unexpected EOF' } }, { fail: { after: 2, kind: 'drop' } });
    const { events, pull } = await pullToEnd('flaky:7b');
    expect(pull.status).toBe('succeeded');
    expect(pull.retries).toBe(2);
    const retries = events.filter((e) => e.event === 'retry').map(data);
    expect(retries.map((r) => r.retry)).toEqual([1, 2]);
    expect(retries[0].reason).toContain('unexpected EOF');
    expect(pullRequests()).toHaveLength(3);
    const seen = percents(events);
    expectMonotonic(seen);
    expect(seen.at(-1)).toBe(100);
  });

  it('never shows a lower percentage, even when a retry restarts a layer from zero', async () => {
    ollama.pulls.script({ fail: { after: 8, kind: 'drop' } }, { restart: true });
    const { events, pull } = await pullToEnd('restarts:3b');
    expect(pull.status).toBe('succeeded');
    const seen = percents(events);
    expectMonotonic(seen);
    expect(Math.max(...seen.slice(0, -1))).toBeGreaterThan(50); // it had got far before the restart
  });

  it('detects a stall: the stream is dropped and retried, and the pull fails when stalls persist', async () => {
    ollama.pulls.script({ fail: { after: 2, kind: 'stall' } });
    const recovered = await pullToEnd('stall-once:1b');
    expect(recovered.pull.status).toBe('succeeded');
    expect(recovered.events.filter((e) => e.event === 'retry').map((e) => data(e).reason)).toEqual([expect.stringContaining('no progress')]);
    const stalled = pullRequests()[0]!;
    expect(stalled.aborted).toBe(true); // Paddock closed the stalled connection

    ollama.reset();
    ollama.pulls.script(...[1, 2, 3].map(() => ({ fail: { after: 1, kind: 'stall' as const } })));
    const failed = await pullToEnd('stall-always:1b');
    expect(failed.pull.status).toBe('failed');
    expect(failed.pull.error.code).toBe('stalled');
    expect(pullRequests()).toHaveLength(3); // first try + PULL_MAX_RETRIES
  });

  it('fails at once, without retries, when the server has no such model', async () => {
    ollama.pulls.script({ notFound: true });
    const { pull, events } = await pullToEnd('no-such-model:1b');
    expect(pull.status).toBe('failed');
    expect(pull.error).toEqual({ code: 'error_line', message: 'pull model manifest: file does not exist' });
    expect(events.filter((e) => e.event === 'retry')).toHaveLength(0);
    expect(pullRequests()).toHaveLength(1);
  });

  it('concurrent POSTs of the same model share one pull; the requesters see it, others get 404; a finished model can be pulled again', async () => {
    ollama.pulls.script({ delayMs: 20 });
    const [a, b, c] = await Promise.all([
      t.call('POST', '/v1/models/pulls', { body: { name: 'shared:8b' } }),
      t.call('POST', '/v1/models/pulls', { body: { name: 'shared:8b', server: 'local' } }),
      t.call('POST', '/v1/models/pulls', { body: { name: 'shared:8b' }, as: 'bob' }),
    ]);
    expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);
    expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(1);
    expect([a.body.joined, b.body.joined, c.body.joined].filter((j) => !j)).toHaveLength(1);
    const id = a.body.id;
    expect((await t.call('GET', `/v1/models/pulls/${id}`, { as: 'bob' })).status).toBe(200);
    expect((await t.call('GET', `/v1/models/pulls/${id}`, { as: 'carol' })).status).toBe(404);
    expect((await t.call('DELETE', `/v1/models/pulls/${id}`, { as: 'carol' })).status).toBe(404);
    const carolList = await t.call('GET', '/v1/models/pulls', { as: 'carol' });
    expect(carolList.body.items).toEqual([]);

    await readSse(`${t.url}/v1/models/pulls/${id}/events`, { headers: await auth('bob') });
    expect((await pullEnded(id, 'bob')).status).toBe('succeeded');
    expect(pullRequests()).toHaveLength(1);
    const again = await t.call('POST', '/v1/models/pulls', { body: { name: 'shared:8b' } });
    expect(again.status).toBe(202);
    expect(again.body.id).not.toBe(id);
    expect(again.body.joined).toBe(false);
    await readSse(`${t.url}/v1/models/pulls/${again.body.id}/events`, { headers: await auth() });
  });

  it('cancel (DELETE) stops the download: the server sees its stream closed within 1 s', async () => {
    ollama.pulls.script({ delayMs: 50, steps: 200 });
    const created = await t.call('POST', '/v1/models/pulls', { body: { name: 'big:70b' } });
    const id = created.body.id;
    const [request] = await waitForPullRequest();
    await readSse(`${t.url}/v1/models/pulls/${id}/events`, { headers: await auth(), until: (e) => e.event === 'progress' && data(e).completedBytes > 0 });

    const cancelledAt = Date.now();
    const del = await t.call('DELETE', `/v1/models/pulls/${id}`);
    expect(del.status).toBe(202);
    await request!.closed;
    expect(request!.aborted).toBe(true);
    expect(request!.closedAt! - cancelledAt).toBeLessThan(1000);

    const rest = await readSse(`${t.url}/v1/models/pulls/${id}/events`, { headers: await auth() });
    expect(data(rest.events.at(-1)!)).toEqual({ status: 'cancelled' });
    expect((await pullEnded(id)).status).toBe('cancelled');
    expect((await t.call('DELETE', `/v1/models/pulls/${id}`)).status).toBe(409);
    expect(pullRequests()).toHaveLength(1); // not retried
  });

  it('rejects bad input with 400 and details', async () => {
    const missing = await t.call('POST', '/v1/models/pulls', { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d: any) => d.path)).toContainEqual(['name']);
    const badName = await t.call('POST', '/v1/models/pulls', { body: { name: '../etc/passwd' } });
    expect(badName.status).toBe(400);
    const extra = await t.call('POST', '/v1/models/pulls', { body: { name: 'x', force: true } });
    expect(extra.status).toBe(400);
    const server = await t.call('POST', '/v1/models/pulls', { body: { name: 'x', server: 'nope' } });
    expect(server.status).toBe(400);
    expect(server.body.error.details[0].path).toEqual(['server']);
    expect((await t.call('GET', '/v1/models/pulls?limit=0')).status).toBe(400);
  });
});

describe('models on the Ollama server', () => {
  it('lists installed models, reports the version, serves the catalog', async () => {
    const models = await t.call('GET', '/v1/models?server=local');
    expect(models.status).toBe(200);
    expect(models.body.items.map((m: any) => m.name)).toContain('llama3.2:1b');
    expect((await t.call('GET', '/v1/models/version')).body).toEqual({ server: 'local', version: '0.6.0-fake' });
    const catalog = await t.call('GET', '/v1/models/catalog');
    expect(catalog.body.items.length).toBeGreaterThan(5);
    for (const m of catalog.body.items) {
      expect(m).toMatchObject({ name: expect.any(String), sizeBytes: expect.any(Number), capabilities: expect.any(Array) });
    }
  });

  it('deletes a model (admins only; 404 when it is not installed)', async () => {
    ollama.models.push('doomed:1b');
    expect((await t.call('DELETE', '/v1/models/doomed:1b')).status).toBe(403);
    const del = await t.call('DELETE', '/v1/models/doomed:1b', { as: 'root', role: 'admin' });
    expect(del.status).toBe(200);
    expect(ollama.models).not.toContain('doomed:1b');
    expect((await t.call('DELETE', '/v1/models/doomed:1b', { as: 'root', role: 'admin' })).status).toBe(404);
  });
});

describe('ensureModelInstalled (for autorun)', () => {
  // What a worker holds: its own store, event log, queues and Redis, on the same system.
  let store: Store;
  let redis: Redis;
  let queues: Queues;
  beforeAll(async () => {
    store = await openStore(t.system.mongoUrl, t.config.MONGO_DB);
    redis = new Redis(t.system.redisUrl);
    queues = openQueues(redis.duplicate({ maxRetriesPerRequest: null }), t.config.QUEUE_PREFIX, 1);
  });
  afterAll(async () => {
    await queues?.close();
    await redis?.quit();
    await store?.close();
  });
  const deps = () => ({
    store,
    events: new EventLog(redis, store.events, t.config.QUEUE_PREFIX, 60),
    queues,
    redis,
    log: silentLogger(),
    ollamaTimeoutMs: 5000,
  });

  it('resolves at once when installed, and pulls (joining a running pull) when not', async () => {
    const server = resolveOllamaServer(t.config);
    const signal = new AbortController().signal;
    await expect(ensureModelInstalled(deps(), server, 'llama3.2:1b', signal)).resolves.toEqual({ installed: true });
    expect(pullRequests()).toHaveLength(0);

    ollama.pulls.script({ delayMs: 10 });
    const started = await t.call('POST', '/v1/models/pulls', { body: { name: 'needed:3b' } });
    const res = await ensureModelInstalled(deps(), server, 'needed:3b', signal);
    expect(res.pullId).toBe(started.body.id); // joined the pull the user started
    expect(pullRequests()).toHaveLength(1);
    expect(ollama.models).toContain('needed:3b');
  });

  it('rejects with ModelPullError when the pull fails', async () => {
    ollama.pulls.script({ notFound: true });
    const server = resolveOllamaServer(t.config);
    await expect(ensureModelInstalled(deps(), server, 'missing:1b', new AbortController().signal)).rejects.toBeInstanceOf(ModelPullError);
  });
});

async function waitForPullRequest() {
  for (let n = ollama.requests.length + 1; ; n++) {
    const all = await ollama.waitForRequests(n);
    const pulls = all.filter((r) => r.op === 'pull');
    if (pulls.length > 0) return pulls;
  }
}

