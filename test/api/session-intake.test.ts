import { request } from 'node:http';
import { startMongoCommandLog, type MongoCommandLog } from '../helpers/mongo-commands';
import { startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The session routes' intake, on an API without a worker (no Docker needed): sessions
 * stay `starting`, which is all these requests need. What is checked is what a request
 * makes the server do before it answers: read an upload's body, read MongoDB.
 */
const FILE_CAP = 64 * 1024;
const OPEN_WAIT_MS = 3000;
let t: TestSystem;
let mongo: MongoCommandLog;

beforeAll(async () => {
  mongo = await startMongoCommandLog();
  t = await startTestSystem({
    PADDOCK_ROLE: 'api',
    MONGO_URL: mongo.url,
    SESSION_OPEN_WAIT_MS: String(OPEN_WAIT_MS),
    SESSION_FILE_MAX_BYTES: String(FILE_CAP),
  });
});
afterAll(async () => {
  await t?.close();
  await mongo?.close();
});

/** POST /v1/sessions: with no worker it answers 202 `starting` once SESSION_OPEN_WAIT_MS ran out. */
async function starting(as: string): Promise<string> {
  const res = await t.call('POST', '/v1/sessions', { body: { language: 'bash' }, as });
  expect([res.status, res.body.status]).toEqual([202, 'starting']);
  return res.body.id as string;
}

/** Reads of one session's document (by `_id`) among the commands from `from` on. */
function sessionReads(id: string, from: number): number {
  return mongo.commands.slice(from).filter((c) => c.name === 'find' && c.collection === 'sessions' && c.command.filter?._id === id).length;
}

/**
 * A PUT that sends its headers (declaring `contentLength` bytes) and never its body.
 * Its answer can only come from a server that did not wait for the body.
 */
function headersOnlyPut(path: string, contentLength: number, token?: string): Promise<{ status: number; code?: string; connection?: string }> {
  const { port } = new URL(t.url);
  const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'content-length': contentLength };
  if (token) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'PUT', headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        clearTimeout(guard);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, code: body ? JSON.parse(body).error?.code : undefined, connection: res.headers.connection });
      });
    });
    // Not a timing assertion: without it a server that waits for the body hangs the test until jest's timeout.
    const guard = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer to a PUT ${path} whose body never came: the server is waiting for the body`));
    }, 10_000);
    req.on('error', (err) => {
      clearTimeout(guard);
      reject(err);
    });
    req.flushHeaders();
  });
}

describe('an upload into a session', () => {
  it('is refused before its body is read: 401 without a token, 404 for another user, 409 while starting, 413 over the cap', async () => {
    const id = await starting('alice');
    const path = `/v1/sessions/${id}/files/data.bin`;
    expect(await headersOnlyPut(path, 1000)).toEqual({ status: 401, code: 'unauthorized', connection: 'close' });
    expect(await headersOnlyPut(path, 1000, 'not-a-jwt')).toEqual({ status: 401, code: 'unauthorized', connection: 'close' });
    expect(await headersOnlyPut(path, 1000, await t.token('mallory'))).toEqual({ status: 404, code: 'not_found', connection: 'close' });
    const alice = await t.token('alice');
    expect(await headersOnlyPut(path, FILE_CAP + 1, alice)).toEqual({ status: 413, code: 'payload_too_large', connection: 'close' });
    expect(await headersOnlyPut(`/v1/sessions/${id}/files/..%2Fx`, 1000, alice)).toEqual({ status: 400, code: 'validation_error', connection: 'close' });
    expect(await headersOnlyPut(path, 1000, alice)).toEqual({ status: 409, code: 'conflict', connection: 'close' });
  });

  it('over the cap with its body sent at once still gets the stable 413 body', async () => {
    const id = await starting('alice');
    const res = await fetch(`${t.url}/v1/sessions/${id}/files/big.bin`, {
      method: 'PUT', headers: { authorization: `Bearer ${await t.token('alice')}`, 'content-type': 'application/octet-stream' }, body: new Uint8Array(4 * FILE_CAP),
    });
    expect([res.status, (await res.json()).error]).toEqual([413, { code: 'payload_too_large', message: `a file may have at most ${FILE_CAP} bytes (SESSION_FILE_MAX_BYTES)` }]);
  });
});

describe('POST /v1/sessions waiting for a worker to open it', () => {
  it('waits on the session\'s events, not by re-reading its document; 202 starting when SESSION_OPEN_WAIT_MS runs out', async () => {
    const from = mongo.commands.length;
    const id = await starting('bob');
    // Once when the wait ran out (a poll every 20 ms was about OPEN_WAIT_MS / 20 reads).
    expect(sessionReads(id, from)).toBeLessThanOrEqual(2);
    expect((await t.call('GET', `/v1/sessions/${id}`, { as: 'bob' })).body.status).toBe('starting');
  });

  it('answers as soon as the session ends while it waits (closed before it opened)', async () => {
    const pending = t.call('POST', '/v1/sessions', { body: { language: 'bash' }, as: 'carol' });
    let id: string | undefined;
    while (!id) {
      id = (await t.call('GET', '/v1/sessions', { as: 'carol' })).body.items[0]?.id;
      if (!id) await new Promise((r) => setTimeout(r, 10));
    }
    const closed = await t.call('DELETE', `/v1/sessions/${id}`, { as: 'carol' });
    expect([closed.status, closed.body.status, closed.body.endReason]).toEqual([200, 'ended', 'closed']);
    // Ended, not the `starting` of a wait that ran out.
    const res = await pending;
    expect([res.status, res.body.id, res.body.status, res.body.endReason]).toEqual([202, id, 'ended', 'closed']);
  });
});

describe('DELETE /v1/sessions/:id', () => {
  it('loads the session once (and reads it once more after the cancel)', async () => {
    const id = await starting('dave');
    const from = mongo.commands.length;
    const res = await t.call('DELETE', `/v1/sessions/${id}`, { as: 'dave' });
    expect([res.status, res.body.status, res.body.endReason]).toEqual([200, 'ended', 'closed']);
    expect(sessionReads(id, from)).toBe(2);
  });
});
