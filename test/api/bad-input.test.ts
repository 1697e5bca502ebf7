import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { routes } from '../../api/routes';
import { startFakeOllama, startFakeOpenAI, type FakeLlmServer, type FakeOllamaServer } from '../fakes/llm';
import { startTestSystem, type TestSystem } from '../helpers/system';

/**
 * "No request a client can send gets a 5xx": hostile requests over every route
 * of the table (plus /admin/queues and /metrics). Requests go out through raw
 * node:http (and a bare socket where even node:http would refuse to send them):
 * fetch normalises or refuses much of what a hostile client can put on the wire.
 */
let t: TestSystem;
let openai: FakeLlmServer;
let ollama: FakeOllamaServer;
let port: number;
let userToken: string;
let adminToken: string;
/** Existing documents, so the hostile requests also reach code past the visibility checks. */
let runId: string;
let experimentId: string;

beforeAll(async () => {
  [openai, ollama] = await Promise.all([startFakeOpenAI(['coder', 'writer']), startFakeOllama()]);
  // API and worker, as in production: /ready then answers 200, and a run the battery happens to get accepted just runs.
  t = await startTestSystem({
    LLM_PROVIDERS: JSON.stringify([
      { name: 'fake', type: 'openai-compatible', baseURL: openai.baseURL, models: ['coder', 'writer'] },
      { name: 'local', type: 'ollama', baseURL: ollama.url, models: ['llama3.2:1b'] },
    ]),
  });
  port = Number(new URL(t.url).port);
  [userToken, adminToken] = await Promise.all([t.token('mallory'), t.token('root', 'admin')]);
  const run = await t.call('POST', '/v1/runs', { as: 'mallory', body: { language: 'bash', code: 'echo hi' } });
  expect(run.status).toBe(202);
  runId = run.body.id;
  const exp = await t.call('POST', '/v1/experiments', {
    as: 'mallory',
    body: { task: { prompt: 'talk' }, agents: [{ name: 'a', model: 'fake/coder', systemPrompt: 'be brief' }], rounds: 1 },
  });
  expect(exp.status).toBe(202);
  experimentId = exp.body.id;
});

afterAll(async () => {
  await t?.close();
  await Promise.all([openai?.close(), ollama?.close()]);
});

// ---------------------------------------------------------------------------
// Raw requests

interface Raw {
  method: string;
  path: string;
  /** An object, or a flat [name, value, name, value…] list for repeated headers. */
  headers?: Record<string, string> | string[];
  body?: Buffer | string;
}

interface Reply {
  status: number;
  contentType: string;
  text: string;
}

/** One request; a connection the server drops without answering comes back as status 0 with the error. */
function send(r: Raw): Promise<Reply> {
  return new Promise((resolve) => {
    let reply: Reply | undefined;
    const chunks: Buffer[] = [];
    const done = (err?: Error) => {
      if (reply) resolve({ ...reply, text: Buffer.concat(chunks).toString('utf8') });
      else resolve({ status: 0, contentType: '', text: `no response: ${err?.message}` });
    };
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers: framed(r), agent: false }, (res) => {
      reply = { status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: '' };
      if (reply.contentType.startsWith('text/event-stream')) {
        done();
        req.destroy();
        return;
      }
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done());
      res.on('error', done);
    });
    // The server may answer (and stop reading) before a hostile body is fully written: the answer counts.
    req.on('error', done);
    req.end(r.body);
  });
}

/** node:http frames a GET's body only when told its length, and adds Host only to object headers. */
function framed(r: Raw): Record<string, string> | string[] {
  const length = r.body === undefined ? undefined : String(Buffer.byteLength(r.body));
  if (Array.isArray(r.headers)) return ['host', `127.0.0.1:${port}`, ...(length ? ['content-length', length] : []), ...r.headers];
  return { ...(length ? { 'content-length': length } : {}), ...r.headers };
}

/** For what node:http refuses to send; returns the status line's code. */
function sendBytes(bytes: string | Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let head = '';
    socket.on('data', (c) => {
      head += c.toString('latin1');
      const m = head.match(/^HTTP\/1\.[01] (\d{3})/);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('end', () => reject(new Error(`connection closed without a status line: ${JSON.stringify(head)}`)));
    socket.write(bytes);
  });
}

/** Sends raw bytes and reads the whole answer (the server closes the connection after a parse error). */
function sendBytesFull(bytes: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let all = '';
    socket.on('data', (c) => (all += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('end', () => {
      const m = all.match(/^HTTP\/1\.[01] (\d{3})[^]*?\r\n\r\n([^]*)$/);
      if (!m) reject(new Error(`no HTTP answer: ${JSON.stringify(all.slice(0, 200))}`));
      else resolve({ status: Number(m[1]), body: m[2]! });
    });
    socket.write(bytes);
  });
}

/** fn over items, at most `width` at a time, results in order. */
async function pooled<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: width }, lane));
  return out;
}

// ---------------------------------------------------------------------------
// The stable error contract

const STATUS_OF_CODE: Record<string, (status: number) => boolean> = {
  validation_error: (s) => s >= 400 && s < 500 && ![401, 403, 404, 409, 413, 429].includes(s),
  unauthorized: (s) => s === 401,
  forbidden: (s) => s === 403,
  not_found: (s) => s === 404,
  conflict: (s) => s === 409,
  payload_too_large: (s) => s === 413,
  rate_limited: (s) => s === 429,
  unavailable: (s) => s === 503,
  internal: (s) => s === 500,
};

/** Why a reply breaks the contract, or undefined. */
function contractViolation(reply: Reply): string | undefined {
  if (reply.status === 0) return reply.text;
  if (reply.status >= 500) return `status ${reply.status}: ${reply.text.slice(0, 300)}`;
  if (reply.status < 400) return undefined;
  if (!reply.contentType.startsWith('application/json')) return `4xx with content-type ${reply.contentType}`;
  let body: any;
  try {
    body = JSON.parse(reply.text);
  } catch {
    return `4xx body is not JSON: ${reply.text.slice(0, 200)}`;
  }
  const e = body?.error;
  if (!e || Object.keys(body).join() !== 'error') return `not {error: …}: ${reply.text.slice(0, 200)}`;
  if (Object.keys(e).some((k) => !['code', 'message', 'details'].includes(k))) return `extra keys: ${Object.keys(e)}`;
  if (typeof e.message !== 'string' || e.message.length === 0 || /\n\s+at /.test(e.message)) return `bad message: ${e.message}`;
  const matches = STATUS_OF_CODE[e.code];
  if (!matches) return `code ${e.code} is not in the stable set`;
  if (!matches(reply.status)) return `code ${e.code} with status ${reply.status}`;
  return undefined;
}

// ---------------------------------------------------------------------------
// The hostile requests

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
/** JSON.stringify already overflows the stack at 5k levels; the one 100k-deep body has its own test below. */
const DEPTH = 10_000;
const deepArray = nested(DEPTH);
const deepObject = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);
const validRun = (extra: string) => `{"language":"python","code":"print(1)",${extra}}`;
const payload = Buffer.from(validRun('"stdin":""'));
const compressed = {
  truncatedGzip: zlib.gzipSync(payload).subarray(0, 20),
  truncatedDeflate: zlib.deflateSync(payload).subarray(0, 8),
  gzippedGarbage: zlib.gzipSync(Buffer.from('{"language":')),
  /** 4 MiB of spaces: small on the wire, over MAX_BODY_BYTES once inflated. */
  gzipBomb: zlib.gzipSync(Buffer.alloc(4 * 1024 * 1024, ' ')),
  gzipped: zlib.gzipSync(payload),
};
const overLimit = `{"code":"${'x'.repeat(1_200_000)}"}`;
/** Truncated, bare, not hex, overlong UTF-8, a lone surrogate. */
const BAD_ESCAPES = ['%E0%A4%A', '%', '%zz', '%C0%AF', '%ED%A0%80'];

function concretePath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/:(\w+)/g, (_m, name: string) => params[name] ?? defaultParam(path, name));
}

function defaultParam(path: string, name: string): string {
  if (name === 'iteration') return '1';
  if (name === 'name') return 'llama3.2%3A1b';
  if (path.startsWith('/v1/runs')) return runId;
  if (path.startsWith('/v1/experiments')) return experimentId;
  return 'pull_doesnotexist';
}

interface Case {
  name: string;
  raw: Raw;
  /** Passed the admin check into Bull Board's JSON API or static files (see boardOwn). */
  board?: boolean;
}

function hostile(method: string, path: string, token: string): Case[] {
  const auth = `Bearer ${token}`;
  const url = concretePath(path);
  const json = (body: string | Buffer, headers: Record<string, string> = {}): Raw => ({
    method, path: url, body, headers: { authorization: auth, 'content-type': 'application/json', ...headers },
  });
  const cases: Case[] = [];
  const add = (name: string, raw: Raw) => cases.push({ name: `${method.toUpperCase()} ${path} ${name}`, raw });

  for (const [, param = ''] of path.matchAll(/:(\w+)/g)) {
    for (const bad of BAD_ESCAPES) add(`:${param}=${bad}`, { method, path: concretePath(path, { [param]: bad }), headers: { authorization: auth } });
  }

  add('deep array', json(deepArray));
  add('deep object', json(deepObject));
  add('deep metadata', json(validRun(`"metadata":{"deep":${deepArray}}`)));
  add('deep batch', json(`{"runs":[${validRun(`"metadata":{"deep":${deepArray}}`)}]}`));
  add('deep experiment metadata', json(`{"metadata":{"deep":${deepObject}}}`));

  for (const encoding of ['gzip', 'deflate', 'br']) {
    add(`garbage ${encoding}`, json(Buffer.from('definitely not compressed'), { 'content-encoding': encoding }));
  }
  add('truncated gzip', json(compressed.truncatedGzip, { 'content-encoding': 'gzip' }));
  add('truncated deflate', json(compressed.truncatedDeflate, { 'content-encoding': 'deflate' }));
  add('gzip of garbage', json(compressed.gzippedGarbage, { 'content-encoding': 'gzip' }));
  add('gzip bomb', json(compressed.gzipBomb, { 'content-encoding': 'gzip' }));
  add('unknown encoding', json(payload, { 'content-encoding': 'compress' }));
  add('stacked encodings', json(compressed.gzipped, { 'content-encoding': 'gzip, br' }));

  add('text/plain', json(payload, { 'content-type': 'text/plain' }));
  add('no content-type', { method, path: url, body: payload, headers: { authorization: auth } });
  add('form', json('language=python&code=x', { 'content-type': 'application/x-www-form-urlencoded' }));
  add('multipart', json('--x\r\n\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }));
  add('list of types', json(payload, { 'content-type': 'application/json, text/plain' }));
  add('malformed type', json(payload, { 'content-type': ';;;=' }));
  add('utf-16 label', json(payload, { 'content-type': 'application/json; charset=utf-16' }));
  add('utf-16 body', json(Buffer.from(payload.toString(), 'utf16le'), { 'content-type': 'application/json; charset=utf-16le' }));
  add('unknown charset', json(payload, { 'content-type': 'application/json; charset=klingon' }));
  add('utf- charset', json(payload, { 'content-type': 'application/json; charset=utf-99' }));
  add('latin1 charset', json(payload, { 'content-type': 'application/json; charset=latin1' }));
  add('broken charset', json(payload, { 'content-type': 'application/json; charset="utf-8' }));

  add('invalid JSON', json('{"language":'));
  add('invalid UTF-8', json(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])));
  add('BOM', json(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), payload])));
  for (const body of ['null', '42', '"text"', 'true', '[]', '[{}]']) add(`body ${body}`, json(body));
  add('__proto__', json('{"__proto__":{"role":"admin"},"language":"python","code":"x"}'));
  add('nested __proto__', json(validRun('"metadata":{"__proto__":{"polluted":true}}')));
  add('constructor.prototype', json(validRun('"metadata":{"constructor":{"prototype":{"x":1}}}')));
  add('mongo operators', json(validRun('"metadata":{"$where":"1","a.b":{"$gt":1}}')));
  add('over MAX_BODY_BYTES', json(overLimit));
  add('GET-style body', json('{}'));

  for (const value of ['%E0%A4%A', 'not-a-jwt', '', '"quoted"', 'a.b.c', `${token}x`]) {
    add(`cookie ${value}`, { method, path: url, headers: { cookie: `paddock_admin=${value}` } });
  }
  add('cookie soup', { method, path: url, headers: { cookie: ';;; ==; paddock_admin; =x; paddock_admin=%; paddock_admin=a=b' } });
  add('cookie twice', { method, path: url, headers: ['cookie', 'paddock_admin=x', 'cookie', 'paddock_admin=%E0'] });

  for (const header of ['Bearer', 'Bearer ', 'Bearer  ', 'Basic Zm9vOmJhcg==', 'Bearer a.b.c', 'Bearer \xff\xfe\xfd', `Bearer ${'A'.repeat(12_000)}`, 'bearer x y', `Bearer ${token.slice(0, -3)}`, 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.']) {
    add(`authorization ${JSON.stringify(header.slice(0, 30))}`, { method, path: url, headers: { authorization: header } });
  }
  add('authorization twice', { method, path: url, headers: ['authorization', 'Bearer nope', 'authorization', auth] });
  add('content-type twice', { method, path: url, body: payload, headers: ['authorization', auth, 'content-type', 'text/plain', 'content-type', 'application/json'] });
  add('idempotency-key twice', { method, path: url, body: payload, headers: ['authorization', auth, 'content-type', 'application/json', 'idempotency-key', 'a', 'idempotency-key', 'b'] });
  add('idempotency-key latin1', json(payload, { 'idempotency-key': '\xe9t\xe9' }));
  add('idempotency-key huge', json(payload, { 'idempotency-key': 'k'.repeat(5000) }));
  add('last-event-id junk', { method, path: url, headers: { authorization: auth, 'last-event-id': '-1e999' } });
  add('huge header under the limit', { method, path: url, headers: { authorization: auth, 'x-padding': 'p'.repeat(12_000) } });
  add('odd accept', { method, path: url, headers: { authorization: auth, accept: '*/*;q=nonsense, text/event-stream;q=2' } });

  for (const query of ['q=x', '__proto__=x', 'constructor=x', 'a[b]=c', 'status=queued&status=running', 'limit=1&limit=2',
    'lastEventId=1&lastEventId=2', 'lastEventId=%E0%A4%A', 'server=local&server=local', 'cursor=%E0%A4%A', 'limit=%00', '=x&&&=', 'token=a&token=b', 'after=-1', 'limit=1e400']) {
    add(`?${query}`, { method, path: `${url}?${query}`, headers: { authorization: auth } });
  }
  return cases;
}

function boardCases(): Case[] {
  const cases: Case[] = [];
  const admin = { authorization: `Bearer ${adminToken}` };
  const add = (name: string, raw: Raw) => {
    const board = !Array.isArray(raw.headers) && raw.headers?.authorization === admin.authorization;
    cases.push({ name: `${raw.method} ${raw.path} ${name}`, raw, board });
  };
  for (const path of ['/admin/queues', '/admin/queues/', '/admin/queues/queue/runs', '/admin/queues/api/queues']) {
    add('no credentials', { method: 'GET', path });
    for (const value of ['%E0%A4%A', '%', 'not-a-jwt', `${adminToken}x`, userToken, '']) {
      add(`cookie ${value.slice(0, 20)}`, { method: 'GET', path, headers: { cookie: `paddock_admin=${value}` } });
    }
    add('cookie soup', { method: 'GET', path, headers: { cookie: 'a=%; paddock_admin; ==; paddock_admin=%E0%A4%A' } });
    add('user token', { method: 'GET', path, headers: { authorization: `Bearer ${userToken}` } });
    add('Bearer alone', { method: 'GET', path, headers: { authorization: 'Bearer' } });
    add('?token junk', { method: 'GET', path: `${path}?token=%E0%A4%A` });
    add('?token twice', { method: 'GET', path: `${path}?token=a&token=b` });
  }
  for (const bad of BAD_ESCAPES) {
    add(`admin, queue ${bad}`, { method: 'GET', path: `/admin/queues/queue/${bad}`, headers: admin });
    add(`admin cookie, queue ${bad}`, { method: 'GET', path: `/admin/queues/queue/${bad}`, headers: { cookie: `paddock_admin=${adminToken}` } });
  }
  add('admin, static file, bad escape', { method: 'GET', path: '/admin/queues/static/%E0%A4%A', headers: admin });
  add('admin, static file, traversal', { method: 'GET', path: '/admin/queues/static/..%2f..%2f..%2fpackage.json', headers: admin });
  add('admin, static file, bad range', { method: 'GET', path: '/admin/queues/static/favicon.ico', headers: { ...admin, range: 'bytes=999999999-' } });
  add('admin, deep JSON', { method: 'PUT', path: '/admin/queues/api/queues/runs/add', headers: { ...admin, 'content-type': 'application/json' }, body: `{"name":"x","data":${deepArray}}` });
  add('admin, broken gzip', { method: 'PUT', path: '/admin/queues/api/queues/runs/pause', headers: { ...admin, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'nope' });
  add('admin, null body', { method: 'PUT', path: '/admin/queues/api/queues/runs/add', headers: { ...admin, 'content-type': 'application/json' }, body: 'null' });
  for (const [method, path] of [['GET', '/metrics'], ['POST', '/metrics']] as const) {
    add('deep JSON', { method, path, headers: { 'content-type': 'application/json' }, body: deepArray });
    add('broken gzip', { method, path, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'nope' });
    add('text body', { method, path, headers: { 'content-type': 'text/plain' }, body: 'hello' });
    add('?q', { method, path: `${path}?q=%E0%A4%A&q=1` });
  }
  return cases;
}

/**
 * GET /ready's 503 is its answer (a part of the system is not ready: e.g. a Docker ping
 * slower than its bound on a loaded machine), not a reaction to the request. It still
 * may not be the error mapper's 500.
 */
function readinessReport(c: Case, reply: Reply): boolean {
  return c.raw.method === 'GET' && c.raw.path.startsWith('/ready') && reply.status === 503 && /"checks":/.test(reply.text);
}

/**
 * What Bull Board itself answers past the admin check, its JSON API (errors in the shape
 * its UI reads) and its static files (a 416 for a bad Range, as any file server): only
 * the status is ours to check there.
 */
const boardOwn = (c: Case) => c.board === true && /^\/admin\/queues\/(api|static)\//.test(c.raw.path);

describe('bad-input battery over every route', () => {
  it('answers every hostile request with a 4xx (or success) and the stable error body, never a 5xx', async () => {
    const cases = [
      ...routes.flatMap((r) => hostile(r.method, r.path, r.access === 'admin' ? adminToken : userToken)),
      ...boardCases(),
    ];
    const replies = await pooled(cases, 8, (c) => send(c.raw));
    const violations = cases
      .map((c, i) => {
        const reply = replies[i]!;
        if (readinessReport(c, reply)) return undefined;
        const why = boardOwn(c) ? (reply.status >= 500 || reply.status === 0 ? `status ${reply.status}: ${reply.text.slice(0, 200)}` : undefined) : contractViolation(reply);
        return why && `${c.name}: ${why}`;
      })
      .filter(Boolean);
    expect(violations).toEqual([]);
    // The battery exercised the error paths, not just the happy ones.
    expect(replies.filter((r) => r.status >= 400).length).toBeGreaterThan(cases.length / 2);

    const metrics = await send({ method: 'GET', path: '/metrics', headers: { authorization: `Bearer ${adminToken}` } });
    const counts = metrics.text.split('\n').filter((l) => l.startsWith('paddock_http_request_duration_seconds_count{'));
    expect(counts.filter((l) => /status="4\d\d"/.test(l)).length).toBeGreaterThan(0);
    expect(counts.filter((l) => /status="5\d\d"/.test(l) && !(l.includes('route="/ready"') && l.includes('status="503"')))).toEqual([]);
  }, 120_000);

  it('leaves what HTTP parsing rejects to Node: a 4xx (400, 431), never a 5xx', async () => {
    const statuses = await Promise.all([
      sendBytes(`GET /v1/runs HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`),
      sendBytes('POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'),
      sendBytes('POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
      sendBytes('GET /v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \x01\x02\r\n\r\n'),
      // A body longer than its Content-Length: the rest parses as a broken next request.
      sendBytes('POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}{"language":"bash"}'),
      sendBytes(`GET /v1/runs/${'%'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
    ]);
    for (const s of statuses) expect(s >= 400 && s < 500).toBe(true);
  });

  it('answers what HTTP parsing rejects with the stable error body too', async () => {
    const big = await sendBytesFull(`GET /v1/runs HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`);
    expect([big.status, JSON.parse(big.body).error.code]).toEqual([431, 'validation_error']);
    const framing = await sendBytesFull('POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}');
    expect([framing.status, JSON.parse(framing.body).error.code]).toEqual([400, 'validation_error']);
  });
});

describe('the errors behind the battery', () => {
  const auth = () => ({ authorization: `Bearer ${userToken}` });

  it('malformed percent-encoding in a path parameter is a 400 naming the problem', async () => {
    const res = await send({ method: 'GET', path: '/v1/runs/%E0%A4%A', headers: auth() });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error).toMatchObject({ code: 'validation_error', message: expect.stringMatching(/percent-encoding/) });
  });

  it('a body that does not decompress is a 400; an unknown Content-Encoding a 415', async () => {
    const headers = { ...auth(), 'content-type': 'application/json' };
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await send({ method: 'POST', path: '/v1/runs', headers: { ...headers, 'content-encoding': encoding }, body: 'garbage' });
      expect([res.status, JSON.parse(res.text).error.code]).toEqual([400, 'validation_error']);
    }
    const odd = await send({ method: 'POST', path: '/v1/runs', headers: { ...headers, 'content-encoding': 'compress' }, body: '{}' });
    expect([odd.status, JSON.parse(odd.text).error.code]).toEqual([415, 'validation_error']);
  });

  it('deeply nested JSON is a 400, and nothing is stored', async () => {
    const res = await send({
      method: 'POST', path: '/v1/runs', headers: { authorization: `Bearer ${await t.token('nina')}`, 'content-type': 'application/json' },
      body: validRun(`"metadata":{"deep":${nested(100_000)}}`),
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error).toMatchObject({ code: 'validation_error', message: expect.stringMatching(/nested/) });
    const list = await t.call('GET', '/v1/runs', { as: 'nina' });
    expect(list.body.items).toEqual([]);
  });

  it('a body that is not JSON is a 415, a JSON body that is not an object a 400, a __proto__ key a 400', async () => {
    const post = (body: string, type = 'application/json') =>
      send({ method: 'POST', path: '/v1/runs', headers: { ...auth(), 'content-type': type }, body });
    const text = await post('{"language":"bash","code":"echo"}', 'text/plain');
    expect([text.status, JSON.parse(text.text).error.code]).toEqual([415, 'validation_error']);
    expect(JSON.parse(text.text).error.message).toMatch(/application\/json/);
    for (const body of ['null', '42', '[]']) {
      const res = await post(body);
      expect([res.status, JSON.parse(res.text).error.message]).toEqual([400, 'request body must be a JSON object']);
    }
    const proto = await post(validRun('"metadata":{"__proto__":{"x":1}}'));
    expect(proto.status).toBe(400);
    expect(JSON.parse(proto.text).error.details).toEqual([{ path: ['metadata', '__proto__'], message: 'this key is not allowed' }]);
    const latin1 = await post(validRun('"stdin":""').replace('"', ' "'), 'application/json; charset=latin1');
    expect([latin1.status, JSON.parse(latin1.text).error.code]).toEqual([415, 'validation_error']);
  });

  it('a malformed or stale Bull Board cookie is a 401, and the stale cookie is cleared', async () => {
    for (const value of ['%E0%A4%A', 'not-a-jwt']) {
      const res = await send({ method: 'GET', path: '/admin/queues', headers: { cookie: `paddock_admin=${value}` } });
      expect([res.status, JSON.parse(res.text).error.code]).toEqual([401, 'unauthorized']);
    }
    const board = await fetch(`${t.url}/admin/queues`, { headers: { cookie: 'paddock_admin=not-a-jwt' } });
    expect(board.headers.get('set-cookie')).toMatch(/^paddock_admin=;.*Expires=Thu, 01 Jan 1970/);
    // An explicit bearer header wins over a stale cookie.
    const both = await fetch(`${t.url}/admin/queues`, { headers: { cookie: 'paddock_admin=not-a-jwt', authorization: `Bearer ${adminToken}` } });
    expect(both.status).toBe(200);
  });
});

describe('query parameters', () => {
  const QUERY_ROUTES = [
    '/v1/runs', '/v1/experiments', '/v1/models/pulls', '/v1/runs/:id/logs', '/v1/models', '/v1/models/version',
    '/v1/runs/:id/events', '/v1/experiments/:id/events', '/v1/models/pulls/:id/events',
  ];

  it.each(QUERY_ROUTES)('GET %s rejects an unknown parameter with a 400 naming it', async (path) => {
    const res = await t.call('GET', `${concretePath(path)}?nope=x`, { as: 'mallory' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details).toEqual([{ path: ['nope'], message: expect.stringMatching(/^unknown query parameter "nope"/) }]);
  });

  // Every route's query schema sits on the route table; a route without one takes no parameters.
  it.each(routes.filter((r) => r.access !== 'public').map((r) => [r.method.toUpperCase(), r.path] as const))(
    '%s %s rejects an unknown parameter before doing anything',
    async (method, path) => {
      const res = await t.call(method, `${concretePath(path)}?nope=x`, { role: 'admin' });
      expect([res.status, res.body.error.details]).toEqual([400, [{ path: ['nope'], message: expect.stringMatching(/^unknown query parameter "nope"/) }]]);
    },
  );

  it('DELETE /v1/models/:name rejects an unknown parameter too', async () => {
    const res = await t.call('DELETE', '/v1/models/llama3.2%3A1b?force=1', { role: 'admin' });
    expect([res.status, res.body.error.details[0].path]).toEqual([400, ['force']]);
  });

  it('a parameter given twice is a 400, not a silent pick', async () => {
    const res = await t.call('GET', '/v1/runs?status=queued&status=running', { as: 'mallory' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: ['status'], message: 'given more than once' }]);
  });

  it('known parameters still work, and the SSE routes keep ?lastEventId=', async () => {
    expect((await t.call('GET', '/v1/runs?status=queued&limit=5', { as: 'mallory' })).status).toBe(200);
    expect((await t.call('GET', `/v1/runs/${runId}/logs?after=0&limit=5`, { as: 'mallory' })).status).toBe(200);
    expect((await t.call('GET', '/v1/models?server=local', { as: 'mallory' })).status).toBe(200);
    const stream = await send({ method: 'GET', path: `/v1/runs/${runId}/events?lastEventId=0`, headers: { authorization: `Bearer ${userToken}` } });
    expect([stream.status, stream.contentType]).toEqual([200, 'text/event-stream; charset=utf-8']);
    const bad = await t.call('GET', `/v1/runs/${runId}/events?lastEventId=soon`, { as: 'mallory' });
    expect([bad.status, bad.body.error.message]).toEqual([400, 'Last-Event-ID must be a non-negative integer']);
  });
});

describe('an LLM run shows its request', () => {
  it.each([
    ['autorun', {
      kind: 'autorun', language: 'python', prompt: 'Write square(x).', model: 'fake/coder', maxAttempts: 2, temperature: 0.2,
      tests: [{ name: 'square', code: 'assert square(3) == 9' }],
    }],
    ['compare', { kind: 'compare', prompt: 'Name a prime.', models: ['fake/coder', 'fake/writer'], system: 'Be brief.', maxOutputTokens: 50 }],
    ['agent', { kind: 'agent', language: 'python', prompt: 'Count to 3.', model: 'fake/coder', maxSteps: 4, tokenBudget: 1000 }],
  ])('GET /v1/runs/:id of a %s run has the request it was given, and no credentials', async (_kind, request) => {
    const created = await t.call('POST', '/v1/runs', { as: 'olga', body: { ...request, metadata: { ticket: 'T-1' } } });
    expect(created.status).toBe(202);
    expect(created.body.request).toEqual(request);
    const res = await t.call('GET', `/v1/runs/${created.body.id}`, { as: 'olga' });
    expect(res.status).toBe(200);
    expect(res.body.request).toEqual(request);
    expect(res.body.metadata).toEqual({ ticket: 'T-1' });
    // No header, token or internal field is copied into the document.
    expect(JSON.stringify(res.body)).not.toMatch(/eyJ|authorization|bearer|requestHash|apiKey/i);
  });
});
