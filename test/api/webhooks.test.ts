import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * A job's terminal state is POSTed to its callbackUrl, signed as Standard
 * Webhooks says (checked here with the reference library), retried with
 * backoff, logged per job; internal targets are refused unless allowed.
 */
const SECRET = `whsec_${Buffer.from('paddock-webhook-test-secret-0123456789').toString('base64')}`;

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

let receiver: http.Server;
let port: number;
const received: Received[] = [];
let failFirst = 0;
let allowed: TestSystem;
let strict: TestSystem;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = failFirst-- > 0 ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  port = (receiver.address() as AddressInfo).port;
  allowed = await startTestSystem({ WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW: '127.0.0.1/32', WEBHOOK_ATTEMPTS: '3' });
  strict = await startTestSystem({ WEBHOOK_SECRET: SECRET });
});
afterAll(async () => {
  await Promise.all([allowed?.close(), strict?.close()]);
  await new Promise((r) => receiver?.close(r));
});
beforeEach(() => {
  received.length = 0;
});

async function deliveries(t: TestSystem, id: string, n: number): Promise<any[]> {
  for (let i = 0; i < 200; i++) {
    const res = await t.call('GET', `/v1/runs/${id}/webhooks`);
    if (res.body.items.length >= n) return res.body.items;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${n} deliveries of ${id}`);
}

it('POSTs the terminal state signed; a failed delivery is retried with backoff and logged', async () => {
  failFirst = 1;
  const callbackUrl = `http://127.0.0.1:${port}/hooks/paddock`;
  const created = await allowed.call('POST', '/v1/runs', { body: { language: 'bash', code: 'echo hooked', callbackUrl } });
  expect(created.status).toBe(202);
  const run = await allowed.waitFor(created.body.id, isDone);
  expect(run.status).toBe('succeeded');
  const log = await deliveries(allowed, run.id, 2);
  expect(log.map((d) => [d.attempt, d.outcome, d.statusCode])).toEqual([[1, 'failed', 500], [2, 'delivered', 204]]);
  expect(received).toHaveLength(2);
  const wh = new Webhook(SECRET);
  for (const r of received) {
    const payload = wh.verify(r.body, r.headers as Record<string, string>) as any;
    expect(payload).toMatchObject({ type: 'run.succeeded', data: { id: run.id, kind: 'code', status: 'succeeded', result: { stdout: 'hooked\n' } } });
  }
  // The same message id on every attempt: receivers can drop duplicates.
  expect(received[0]!.headers['webhook-id']).toBe(run.id);
  expect(received[1]!.headers['webhook-id']).toBe(run.id);
  // A wrong secret does not verify.
  expect(() => new Webhook(`whsec_${Buffer.from('another-secret-entirely-000000').toString('base64')}`).verify(received[1]!.body, received[1]!.headers as Record<string, string>)).toThrow();
}, 30_000);

it('a cancelled queued run is delivered too', async () => {
  const blocker = await allowed.call('POST', '/v1/runs', { body: { language: 'bash', code: 'sleep 1' } });
  const hooked = await allowed.call('POST', '/v1/runs', { body: { language: 'bash', code: 'sleep 1', callbackUrl: `http://127.0.0.1:${port}/x` } });
  await allowed.call('DELETE', `/v1/runs/${hooked.body.id}`);
  const log = await deliveries(allowed, hooked.body.id, 1);
  expect(log[0].outcome).toBe('delivered');
  expect(JSON.parse(received[0]!.body).type).toBe('run.cancelled');
  await allowed.waitFor(blocker.body.id, isDone);
});

describe('SSRF', () => {
  it.each([
    [`http://127.0.0.1:${'PORT'}/`],
    ['http://localhost/'],
    ['http://10.1.2.3/'],
    ['http://192.168.0.1/'],
    ['http://169.254.169.254/latest/meta-data'],
    ['http://[::1]/'],
    ['http://[::ffff:127.0.0.1]/'],
    ['http://0.0.0.0/'],
  ])('refuses %s at submission without an allow-list', async (url) => {
    const res = await strict.call('POST', '/v1/runs', { body: { language: 'bash', code: 'true', callbackUrl: url.replace('PORT', String(port)) } });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toEqual(['callbackUrl']);
  });

  it('refuses URLs that are not http(s) or carry credentials', async () => {
    for (const url of ['file:///etc/passwd', 'gopher://example.com/', 'https://user:pw@example.com/']) {
      expect((await strict.call('POST', '/v1/runs', { body: { language: 'bash', code: 'true', callbackUrl: url } })).status).toBe(400);
    }
  });

  it('a name that resolves to loopback is blocked at delivery, not retried, and logged', async () => {
    const name = os.hostname(); // /etc/hosts maps it to a loopback address on this machine kind
    const created = await strict.call('POST', '/v1/runs', { body: { language: 'bash', code: 'true', callbackUrl: `http://${name}:${port}/` } });
    expect(created.status).toBe(202);
    const log = await deliveries(strict, created.body.id, 1);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ outcome: 'blocked', attempt: 1 });
    expect(log[0].error).toMatch(/loopback/);
    expect(received).toHaveLength(0);
  });
});
