import { startTestSystem, type TestSystem } from '../helpers/system';

let t: TestSystem;

beforeAll(async () => {
  t = await startTestSystem({ PADDOCK_ROLE: 'api', MAX_BODY_BYTES: '4096' });
});
afterAll(async () => {
  await t?.close();
});

describe('request validation', () => {
  it.each([
    ['an unknown language', { language: 'cobol', code: 'x' }, ['language']],
    ['a code run without code', { language: 'python' }, ['code']],
    ['an unknown field', { language: 'python', code: 'x', extra: 1 }, []],
    ['a path escaping the workdir', { language: 'python', code: 'x', files: [{ path: '../etc/passwd', content: '' }] }, ['files', 0, 'path']],
    ['an absolute path', { language: 'python', code: 'x', files: [{ path: '/etc/passwd', content: '' }] }, ['files', 0, 'path']],
    ['a negative limit', { language: 'python', code: 'x', limits: { timeoutMs: -1 } }, ['limits', 'timeoutMs']],
  ])('rejects %s with 400 validation_error', async (_name, body, path) => {
    const res = await t.call('POST', '/v1/runs', { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details.map((d: any) => d.path)).toContainEqual(path);
  });

  it('rejects limits above the server maxima (they may only lower them)', async () => {
    const res = await t.call('POST', '/v1/runs', { body: { language: 'python', code: 'x', limits: { memoryMb: 100_000 } } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: ['limits', 'memoryMb'], message: 'at most 128' }]);
  });

  it('fills unset limits with the maxima and keeps lower ones', async () => {
    const res = await t.call('POST', '/v1/runs', { body: { language: 'python', code: 'x', limits: { timeoutMs: 1000 } } });
    expect(res.status).toBe(202);
    expect(res.body.limits).toMatchObject({ timeoutMs: 1000, memoryMb: 128 });
  });

  it('rejects malformed JSON with 400 and an oversized body with 413, writing nothing', async () => {
    const auth = { authorization: `Bearer ${await t.token('dave')}`, 'content-type': 'application/json' };
    const bad = await fetch(`${t.url}/v1/runs`, { method: 'POST', headers: auth, body: '{"language":' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe('validation_error');
    const big = await fetch(`${t.url}/v1/runs`, {
      method: 'POST', headers: auth, body: JSON.stringify({ language: 'python', code: 'x'.repeat(10_000) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).error.code).toBe('payload_too_large');
    const listed = await t.call('GET', '/v1/runs', { as: 'dave' });
    expect(listed.body.items).toEqual([]);
  });

  it('rejects bad query parameters and unknown routes with stable codes', async () => {
    expect((await t.call('GET', '/v1/runs?limit=0')).body.error.code).toBe('validation_error');
    expect((await t.call('GET', '/v1/runs?status=sleeping')).body.error.code).toBe('validation_error');
    expect((await t.call('GET', '/v1/runs?cursor=nonsense')).body.error.code).toBe('validation_error');
    const missing = await t.call('GET', '/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    expect((await t.call('GET', '/v1/runs/run_doesnotexist')).status).toBe(404);
  });
});

describe('Idempotency-Key', () => {
  it('returns the first run for the same key and owner', async () => {
    const body = { language: 'bash', code: 'echo once' };
    const headers = { 'idempotency-key': 'order-42' };
    const jobsBefore = await jobCount(t);
    const first = await t.call('POST', '/v1/runs', { body, headers, as: 'erin' });
    const second = await t.call('POST', '/v1/runs', { body, headers, as: 'erin' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const list = await t.call('GET', '/v1/runs', { as: 'erin' });
    expect(list.body.items).toHaveLength(1);
    expect(await jobCount(t)).toBe(jobsBefore + 1);
  });

  it('keeps keys per owner, and refuses a key reused with another body', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    const a = await t.call('POST', '/v1/runs', { body: { language: 'bash', code: 'echo a' }, headers, as: 'frank' });
    const b = await t.call('POST', '/v1/runs', { body: { language: 'bash', code: 'echo a' }, headers, as: 'grace' });
    expect(a.body.id).not.toBe(b.body.id);
    const conflict = await t.call('POST', '/v1/runs', { body: { language: 'bash', code: 'echo b' }, headers, as: 'frank' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('conflict');
  });
});

describe('cancel of a queued run', () => {
  it('cancels it at once (200) and the stream ends with cancelled', async () => {
    const created = await t.call('POST', '/v1/runs', { body: { language: 'bash', code: 'echo never' } });
    const del = await t.call('DELETE', `/v1/runs/${created.body.id}`);
    expect(del.status).toBe(200);
    expect(del.body.status).toBe('cancelled');
    const logs = await t.call('GET', `/v1/runs/${created.body.id}/logs`);
    expect(logs.body.items.map((e: any) => [e.type, e.data.status])).toEqual([
      ['status', 'queued'],
      ['status', 'cancelled'],
      ['end', 'cancelled'],
    ]);
  });
});

describe('health', () => {
  it('answers /health and /ready without a token', async () => {
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    // An API-only system may be "not ready" for want of workers (a 503 with the same report); either way no token is asked for.
    const ready = await fetch(`${t.url}/ready`);
    expect([200, 503]).toContain(ready.status);
    expect(await ready.json()).toMatchObject({ status: ready.status === 200 ? 'ready' : 'unavailable', checks: { redis: 'ok', mongo: 'ok' } });
  });

  it('exposes Prometheus metrics', async () => {
    const text = await t.scrape();
    expect(text).toContain('paddock_runs_created_total');
    expect(text).toMatch(/paddock_queue_jobs\{queue="runs",state="waiting"\} \d+/);
  });
});

async function jobCount(sys: TestSystem): Promise<number> {
  const { Queue } = await import('bullmq');
  const { Redis } = await import('ioredis');
  const conn = new Redis(sys.system.redisUrl);
  const q = new Queue('runs', { connection: conn, prefix: sys.config.QUEUE_PREFIX });
  try {
    const counts = await q.getJobCounts('waiting', 'prioritized');
    return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
  } finally {
    await q.close();
    await conn.quit();
  }
}
