import { SignJWT, UnsecuredJWT } from 'jose';
import { startTestSystem, TEST_SECRET, type TestSystem } from '../helpers/system';

let t: TestSystem;
let bobRun: string;

beforeAll(async () => {
  // API only: runs stay queued, which is all these tests need.
  t = await startTestSystem({ PADDOCK_ROLE: 'api' });
  const res = await t.call('POST', '/v1/runs', { as: 'bob', body: { language: 'bash', code: 'echo hi' } });
  bobRun = res.body.id;
});
afterAll(async () => {
  await t?.close();
});

const key = new TextEncoder().encode(TEST_SECRET);

async function get(path: string, authorization?: string) {
  const res = await fetch(`${t.url}${path}`, { headers: authorization ? { authorization } : {}, redirect: 'manual' });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

describe('authentication', () => {
  it.each([
    ['no token', undefined],
    ['a malformed header', 'Bearer'],
    ['garbage', 'Bearer not.a.jwt'],
  ])('rejects %s with 401 unauthorized', async (_name, header) => {
    const res = await get('/v1/runs', header);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('rejects an expired token', async () => {
    const jwt = await new SignJWT({ role: 'user' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime(Math.floor(Date.now() / 1000) - 3600).sign(key);
    const res = await get('/v1/runs', `Bearer ${jwt}`);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/expired/);
  });

  it('a token accepted before stops working at its exp (verified tokens are remembered only until then)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const jwt = await new SignJWT({ role: 'user' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime(exp).sign(key);
    expect((await get('/v1/runs', `Bearer ${jwt}`)).status).toBe(200);
    expect((await get('/v1/runs', `Bearer ${jwt}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    const res = await get('/v1/runs', `Bearer ${jwt}`);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/expired/);
  });

  it('a token accepted before, with one byte of its signature changed, is rejected', async () => {
    const jwt = await new SignJWT({ role: 'user' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('1h').sign(key);
    expect((await get('/v1/runs', `Bearer ${jwt}`)).status).toBe(200);
    const last = jwt.at(-2) === 'A' ? 'B' : 'A';
    const forged = `${jwt.slice(0, -2)}${last}${jwt.at(-1)}`;
    expect((await get('/v1/runs', `Bearer ${forged}`)).status).toBe(401);
  });

  it('rejects a token signed with another secret', async () => {
    const other = new TextEncoder().encode('another-secret-another-secret-another-secret');
    const jwt = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setExpirationTime('1h').sign(other);
    expect((await get('/v1/runs', `Bearer ${jwt}`)).status).toBe(401);
  });

  it('rejects alg "none"', async () => {
    const jwt = new UnsecuredJWT({ role: 'admin' }).setSubject('mallory').setExpirationTime('1h').encode();
    expect((await get('/v1/runs', `Bearer ${jwt}`)).status).toBe(401);
  });

  it('rejects another HMAC algorithm than the pinned one', async () => {
    const jwt = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS512' }).setSubject('mallory').setExpirationTime('1h').sign(key);
    expect((await get('/v1/runs', `Bearer ${jwt}`)).status).toBe(401);
  });

  it('requires exp and a role', async () => {
    const noExp = await new SignJWT({ role: 'user' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(key);
    expect((await get('/v1/runs', `Bearer ${noExp}`)).status).toBe(401);
    const noRole = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('1h').sign(key);
    expect((await get('/v1/runs', `Bearer ${noRole}`)).status).toBe(401);
  });

  it('accepts a valid token', async () => {
    expect((await get('/v1/runs', `Bearer ${await t.token('alice')}`)).status).toBe(200);
  });
});

describe('ownership', () => {
  it("hides another user's run as 404 (read, logs, events, cancel)", async () => {
    for (const [method, path] of [
      ['GET', `/v1/runs/${bobRun}`],
      ['GET', `/v1/runs/${bobRun}/logs`],
      ['GET', `/v1/runs/${bobRun}/events`],
      ['DELETE', `/v1/runs/${bobRun}`],
    ] as const) {
      const res = await t.call(method, path, { as: 'alice' });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await t.call('GET', `/v1/runs/${bobRun}`, { as: 'bob' })).status).toBe(200);
  });

  it("lists only the caller's runs; an admin sees everyone's", async () => {
    const alice = await t.call('GET', '/v1/runs', { as: 'alice' });
    expect(alice.body.items.map((r: any) => r.id)).not.toContain(bobRun);
    const admin = await t.call('GET', `/v1/runs/${bobRun}`, { as: 'root', role: 'admin' });
    expect(admin.status).toBe(200);
    const adminList = await t.call('GET', '/v1/runs?owner=bob', { as: 'root', role: 'admin' });
    expect(adminList.body.items.map((r: any) => r.id)).toContain(bobRun);
  });
});

describe('Bull Board at /admin/queues', () => {
  it('is 401 without credentials and 403 for a user token', async () => {
    expect((await get('/admin/queues')).status).toBe(401);
    const user = await get('/admin/queues', `Bearer ${await t.token('alice')}`);
    expect(user.status).toBe(403);
    expect(user.body.error.code).toBe('forbidden');
  });

  it('serves the board to an admin, and lets a browser in with ?token= once (cookie)', async () => {
    const admin = await t.token('root', 'admin');
    const page = await get('/admin/queues', `Bearer ${admin}`);
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain('<html');

    const viaLink = await get(`/admin/queues?token=${admin}`);
    expect(viaLink.status).toBe(303);
    expect(viaLink.headers.get('location')).toBe('/admin/queues');
    const cookie = viaLink.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    const withCookie = await fetch(`${t.url}/admin/queues/api/queues`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(withCookie.status).toBe(200);
    const data = (await withCookie.json()) as { queues: { name: string }[] };
    expect(data.queues.map((q) => q.name)).toContain('runs');

    const userLink = await get(`/admin/queues?token=${await t.token('alice')}`);
    expect(userLink.status).toBe(403);
  });
});
