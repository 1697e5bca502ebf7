import { PNG } from 'pngjs';
import { extract } from 'tar-stream';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/** Low caps, so the cap test needs only small files. */
// matplotlib's import alone takes seconds of wall time on a loaded shared host: a long timeout.
const CAPS = { SANDBOX_MAX_TIMEOUT_MS: '30000', RUN_FILES_MAX_COUNT: '4', RUN_FILES_MAX_FILE_BYTES: String(64 * 1024), RUN_FILES_MAX_TOTAL_BYTES: String(100 * 1024) };

let t: TestSystem;

beforeAll(async () => {
  t = await startTestSystem(CAPS);
});
afterAll(async () => {
  await t?.close();
});

async function get(path: string, as = 'alice'): Promise<Response> {
  return fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${await t.token(as)}` } });
}

/** A GET sent byte for byte: no client-side URL normalisation. */
async function rawGet(path: string): Promise<{ status: number; code?: string }> {
  const token = await t.token('alice');
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: body ? JSON.parse(body).error?.code : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function untar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: unknown) => parts.push(c as Buffer));
      stream.on('end', () => {
        out.set(header.name, Buffer.concat(parts));
        next();
      });
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  Readable.from([bytes]).pipe(ex as unknown as NodeJS.WritableStream);
  await done;
  return out;
}

const PLOT = `
import os, numpy as np, matplotlib.pyplot as plt
fig = plt.figure(figsize=(2, 1), dpi=50)
x = np.linspace(0, 6.3, 50)
plt.plot(x, np.sin(x))
fig.savefig("plot.png")
os.makedirs("out/deep", exist_ok=True)
open("out/data.csv", "w").write("x,y\\n1,2\\n")
open("out/deep/note.txt", "w").write("deep")
open("skipped.txt", "w").write("not matched")
os.symlink("/etc/passwd", "out/passwd-link")
os.mkfifo("out/fifo")
`;

describe('files a run makes (outputs; real Docker, GridFS on the stand-in)', () => {
  it('returns a matplotlib PNG that decodes, lists the files, serves each and a tar of all; no symlinks or FIFOs', async () => {
    const created = await t.call('POST', '/v1/runs', { body: { language: 'python', code: PLOT, outputs: ['*.png', 'out/**'] } });
    expect(created.status).toBe(202);
    const run = await t.waitFor(created.body.id, isDone, { timeoutMs: 60_000 });
    expect(run.status).toBe('succeeded');
    const expected = [
      { path: 'out/data.csv', size: 8, contentType: 'text/csv' },
      { path: 'out/deep/note.txt', size: 4, contentType: 'text/plain' },
      { path: 'plot.png', size: expect.any(Number), contentType: 'image/png' },
    ];
    expect(run.result.files).toEqual(expected);
    expect(run.result.filesDropped).toBe(0);

    const list = await t.call('GET', `/v1/runs/${run.id}/files`);
    expect(list.body).toEqual({ items: expected });

    const png = await get(`/v1/runs/${run.id}/files/plot.png`);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('x-content-type-options')).toBe('nosniff');
    const bytes = Buffer.from(await png.arrayBuffer());
    const image = PNG.sync.read(bytes);
    expect([image.width, image.height]).toEqual([100, 50]);

    const csv = await get(`/v1/runs/${run.id}/files/out/data.csv`);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(await csv.text()).toBe('x,y\n1,2\n');

    const tar = await get(`/v1/runs/${run.id}/artifacts.tar`);
    expect(tar.headers.get('content-type')).toBe('application/x-tar');
    const entries = await untar(Buffer.from(await tar.arrayBuffer()));
    expect([...entries.keys()]).toEqual(['out/data.csv', 'out/deep/note.txt', 'plot.png']);
    expect(entries.get('plot.png')!.equals(bytes)).toBe(true);
  });

  it('holds the caps: count, per-file and total bytes, in path order; says how many were dropped', async () => {
    const code = [
      'head -c 61440 /dev/zero > a.bin', // kept (60 KiB of the 100 KiB)
      'head -c 61440 /dev/zero > b.bin', // dropped: total over 100 KiB
      'head -c 71680 /dev/zero > big.bin', // dropped: over 64 KiB
      'for i in 0 1 2 3 4 5; do echo $i > f$i.txt; done', // f0-f2 kept (4 files in all), f3-f5 dropped, and main.sh
    ].join('\n');
    const created = await t.call('POST', '/v1/runs', { body: { language: 'bash', code, outputs: ['*'] } });
    const run = await t.waitFor(created.body.id, isDone, { timeoutMs: 30_000 });
    expect(run.status).toBe('succeeded');
    expect(run.result.files.map((f: any) => f.path)).toEqual(['a.bin', 'f0.txt', 'f1.txt', 'f2.txt']);
    expect(run.result.filesDropped).toBe(6);
  });

  it('refuses path traversal in downloads (400) and hides another user\'s files (404)', async () => {
    const created = await t.call('POST', '/v1/runs', { body: { language: 'bash', code: 'echo hi > a.txt', outputs: ['a.txt'] } });
    const run = await t.waitFor(created.body.id, isDone, { timeoutMs: 30_000 });
    expect(run.result.files).toEqual([{ path: 'a.txt', size: 3, contentType: 'text/plain' }]);
    // Sent as written (node:http does not normalise dot segments the way fetch does).
    const statuses = [];
    for (const bad of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e/a.txt', 'x/%2e%2e/%2e%2e/a.txt', '../a.txt', 'x/../../a.txt']) {
      const res = await rawGet(`/v1/runs/${run.id}/files/${bad}`);
      statuses.push([bad, res.status, res.code]);
    }
    expect(statuses).toEqual(statuses.map(([bad]) => [bad, 400, 'validation_error']));
    expect((await get(`/v1/runs/${run.id}/files/nope.txt`)).status).toBe(404);
    for (const path of ['files', 'files/a.txt', 'artifacts.tar']) {
      const res = await get(`/v1/runs/${run.id}/${path}`, 'mallory');
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
  });

  it('validates outputs at submission', async () => {
    for (const outputs of [['/etc/*'], ['../x'], ['a/../../b'], [], ['a\\b']]) {
      const res = await t.call('POST', '/v1/runs', { body: { language: 'bash', code: 'true', outputs } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_error');
    }
    const agent = await t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'hi', outputs: ['*'] } });
    expect(agent.status).toBe(400);
  });
});
