import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Priorities are strict classes; within a class owners take turns, so one
 * user's big backlog does not starve another's single run; quotas answer 429
 * with Retry-After. One worker slot makes the order observable.
 */
let t: TestSystem;

beforeAll(async () => {
  t = await startTestSystem({ WORKER_CONCURRENCY: '1' });
});
afterAll(() => t?.close());

const bash = (code: string, extra: Record<string, unknown> = {}) => ({ language: 'bash', code, ...extra });

async function submit(body: unknown, as = 'alice'): Promise<string> {
  const res = await t.call('POST', '/v1/runs', { body, as });
  expect(res.status).toBe(202);
  return res.body.id;
}

async function blockTheWorker(as: string): Promise<string> {
  const id = await submit(bash('sleep 1.5'), as);
  await t.waitFor(id, (r) => r.status === 'running', { as });
  return id;
}

it('with a backlog queued, a critical run starts before the queued low ones', async () => {
  const blocker = await blockTheWorker('alice');
  const low: string[] = [];
  for (let i = 0; i < 4; i++) low.push(await submit(bash('true', { priority: 'low' })));
  const critical = await submit(bash('true', { priority: 'critical' }));
  const medium = await submit(bash('true'));
  const started = async (id: string) => new Date((await t.waitFor(id, isDone)).startedAt).getTime();
  await started(blocker);
  const c = await started(critical);
  const m = await started(medium);
  const lows = await Promise.all(low.map(started));
  expect(c).toBeLessThan(m);
  for (const l of lows) expect(m).toBeLessThan(l);
  expect([...lows].sort((a, b) => a - b)).toEqual(lows); // FIFO within the class and owner
}, 60_000);

it("one user's 300-run backlog does not starve another user's single run", async () => {
  await blockTheWorker('bulk');
  const batch = await t.call('POST', '/v1/runs/batch', { as: 'bulk', body: { runs: Array.from({ length: 300 }, () => bash('true')) } });
  expect(batch.body.accepted).toBe(300);
  const single = await submit(bash('echo mine'), 'solo');
  const mine = await t.waitFor(single, isDone, { as: 'solo', timeoutMs: 60_000 });
  expect(mine.status).toBe('succeeded');
  // Free the worker for the next tests: cancel what is still queued of the backlog.
  const ids = (batch.body.items as { id: string }[]).map((i) => i.id);
  for (let i = 0; i < ids.length; i += 25) await Promise.all(ids.slice(i, i + 25).map((id) => t.call('DELETE', `/v1/runs/${id}`, { as: 'bulk' })));
  const bulk: { startedAt?: string }[] = [];
  for (let cursor: string | null = ''; cursor !== null;) {
    const page: { body: { items: { startedAt?: string }[]; nextCursor: string | null } } = await t.call('GET', `/v1/runs?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { as: 'bulk' });
    bulk.push(...page.body.items);
    cursor = page.body.nextCursor;
  }
  expect(bulk).toHaveLength(301);
  const before = bulk.filter((r) => r.startedAt && new Date(r.startedAt).getTime() < new Date(mine.startedAt).getTime()).length;
  // The blocker, plus at most the bulk run holding position 1 (the same place as ours, submitted first).
  expect(before).toBeLessThanOrEqual(2);
}, 120_000);

describe('quotas (QUOTAS, per role)', () => {
  let q: TestSystem;
  beforeAll(async () => {
    // API only: runs stay queued, so the active-runs cap is what they meet.
    q = await startTestSystem({ PADDOCK_ROLE: 'api', QUOTAS: JSON.stringify({ user: { maxActiveRuns: 3, runsPerMinute: 5 } }) });
  });
  afterAll(() => q?.close());

  it('caps queued + running runs per user: 429 rate_limited with Retry-After; admins are not capped', async () => {
    for (let i = 0; i < 3; i++) expect((await q.call('POST', '/v1/runs', { body: bash('true'), as: 'carol' })).status).toBe(202);
    const over = await q.call('POST', '/v1/runs', { body: bash('true'), as: 'carol' });
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('rate_limited');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await q.call('POST', '/v1/runs', { body: bash('true'), as: 'dave' })).status).toBe(202); // per user
    expect((await q.call('POST', '/v1/runs', { body: bash('true'), as: 'root', role: 'admin' })).status).toBe(202);
  });

  it('limits submissions per minute; a batch gets what fits, the rest is rate_limited item by item', async () => {
    const batch = await q.call('POST', '/v1/runs/batch', { as: 'erin', body: { runs: [bash('a'), bash('b')] } });
    expect(batch.body.accepted).toBe(2);
    const id = batch.body.items[0].id;
    await q.call('DELETE', `/v1/runs/${id}`, { as: 'erin' });
    await q.call('DELETE', `/v1/runs/${batch.body.items[1].id}`, { as: 'erin' });
    // 2 of 5 per minute used; the active cap (3) is free again after the cancels.
    const more = await q.call('POST', '/v1/runs/batch', { as: 'erin', body: { runs: [bash('c'), bash('d'), bash('e'), bash('f')] } });
    expect([more.body.accepted, more.body.rejected]).toEqual([3, 1]);
    expect(more.body.items[3].error.code).toBe('rate_limited');
    for (const item of more.body.items.slice(0, 3)) await q.call('DELETE', `/v1/runs/${item.id}`, { as: 'erin' });
    const over = await q.call('POST', '/v1/runs', { body: bash('true'), as: 'erin' });
    expect(over.status).toBe(429);
    const wait = Number(over.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
  });

  it('a malformed QUOTAS stops start-up naming it', async () => {
    const { loadConfig } = await import('../../core/config');
    expect(() => loadConfig({ QUOTAS: '{"user": {"maxActiveRuns": -1}}', JWT_SECRET: 'x'.repeat(40) })).toThrow(/QUOTAS/);
    expect(() => loadConfig({ QUOTAS: 'not json', JWT_SECRET: 'x'.repeat(40) })).toThrow(/QUOTAS/);
  });
});
