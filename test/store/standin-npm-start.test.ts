/**
 * `npm start` without MONGO_URL keeps its runs: a Paddock process (scripts/start.ts, API
 * role) accepts a run, is stopped, is started again on the same DATA_DIR, and still
 * serves the run. Real processes, real Redis (global setup), the default sqlite stand-in.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signToken } from '../../api/auth';
import { runPaddockUntilExit, startPaddockProcess, type PaddockProcess } from '../helpers/process';
import { TEST_SECRET, testEnv } from '../helpers/system';

let dataDir: string;
const procs: PaddockProcess[] = [];

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paddock-data-'));
});

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The same settings for every life of the system: only DATA_DIR carries the data over. */
function env(): Record<string, string> {
  return testEnv({ PADDOCK_ROLE: 'api', MONGO_URL: '', MONGO_STANDIN: 'sqlite', DATA_DIR: dataDir, PORT: '0' });
}

async function call(url: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const token = await signToken({ secret: TEST_SECRET }, { sub: 'alice', role: 'user' });
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test('a run accepted before a restart is still there after it', async () => {
  const settings = env();
  const file = path.join(dataDir, 'mongo', 'paddock.sqlite');
  const first = await startPaddockProcess(settings);
  procs.push(first);
  // It says where the data lives and what production uses, in the log and in the banner.
  expect(first.output()).toContain(`embedded MongoDB stand-in, data in ${file}`);
  expect(first.output()).toMatch(new RegExp(`MONGO_URL=mongodb://127\\.0\\.0\\.1:\\d+/\\?directConnection=true {3}<- embedded MongoDB stand-in, data in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; production uses a real MongoDB`));

  const submitted = await call(first.url!, 'POST', '/v1/runs', { kind: 'code', language: 'python', code: 'print(42)' });
  expect(submitted.status).toBe(202);
  const id = submitted.body.id as string;
  const before = await call(first.url!, 'GET', `/v1/runs/${id}`);
  expect(before.status).toBe(200);

  // A second process on the same DATA_DIR is told to share the first one's stand-in.
  const mongoUrl = first.output().match(/MONGO_URL=(mongodb:\/\/\S+)/)![1]!;
  const second = await runPaddockUntilExit({ ...settings, LOG_LEVEL: 'info' }, 30_000);
  expect(second.code).toBe(1);
  expect(second.stderr).toContain(`DATA_DIR=${dataDir}: the MongoDB stand-in data ${file} is in use by another process; set MONGO_URL=${mongoUrl} to share that stand-in`);

  expect(await first.stop('SIGTERM')).toBe(0);
  procs.splice(procs.indexOf(first), 1);

  const again = await startPaddockProcess(settings);
  procs.push(again);
  const after = await call(again.url!, 'GET', `/v1/runs/${id}`);
  expect(after.status).toBe(200);
  expect(after.body).toEqual(before.body);
  const list = await call(again.url!, 'GET', '/v1/runs');
  expect(list.body.items.map((r: { id: string }) => r.id)).toContain(id);
  expect(await again.stop('SIGTERM')).toBe(0);
  procs.splice(procs.indexOf(again), 1);
}, 120_000);
