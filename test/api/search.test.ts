import type { ApiDeps, RequestContext } from '../../api/context';
import { listRuns, listRunsQuery } from '../../api/handlers/list-runs';
import { parseOrThrow } from '../../api/validate';
import type { RunDoc } from '../../core/runs';
import { openStore, type Store } from '../../core/store';
import { startTestSystem, type TestSystem } from '../helpers/system';

/** Search in history: GET /v1/runs filters, free text and paging over seeded runs in the real store. */
let t: TestSystem;
let store: Store;

const LIMITS = { timeoutMs: 1000, memoryMb: 64, cpus: 1, pids: 64, outputBytes: 1024 };
const at = (iso: string) => new Date(iso);

function seed(id: string, createdAt: string, request: Record<string, unknown>, verdict?: string, owner = 'sam'): RunDoc {
  const result = verdict ? { exitCode: verdict === 'ok' ? 0 : 1, signal: null, stdout: '', stderr: '', truncated: false, wallMs: 5, verdict } : undefined;
  return {
    _id: id,
    owner,
    kind: (request.kind as RunDoc['kind']) ?? 'code',
    status: verdict === 'ok' || !verdict ? 'succeeded' : 'failed',
    request: { kind: 'code', ...request } as RunDoc['request'],
    limits: LIMITS,
    createdAt: at(createdAt),
    updatedAt: at(createdAt),
    finishedAt: at(createdAt),
    attempts: 1,
    ...(result ? { result: result as RunDoc['result'] } : {}),
  };
}

const py = { language: 'python', code: 'print(1)' };
const RUNS = [
  seed('run_a', '2025-01-01T10:00:00Z', { ...py, metadata: { team: 'red', tags: ['nightly', 'ci'] } }, 'ok'),
  seed('run_b', '2025-01-02T10:00:00Z', { language: 'javascript', code: 'x', metadata: { team: 'blue', note: 'Flaky Sorting test' } }, 'runtime_error'),
  seed('run_c', '2025-01-03T10:00:00Z', { ...py, metadata: { team: 'red', priority: 3, nested: { env: 'prod' } } }, 'runtime_error'),
  seed('run_d', '2025-01-04T10:00:00Z', { kind: 'autorun', language: 'python', prompt: 'Write a SORTING function', metadata: { team: 'green' } }),
  seed('run_e', '2025-01-05T10:00:00Z', { language: 'bash', code: 'sleep 9' }, 'timeout'),
  // Five more of team red, for paging with filters.
  ...[1, 2, 3, 4, 5].map((i) => seed(`run_p${i}`, `2025-02-0${i}T10:00:00Z`, { ...py, metadata: { team: 'red', batch: 'paging' } }, 'ok')),
  // Another owner's run matches every filter above and is never listed for sam.
  seed('run_x', '2025-01-03T12:00:00Z', { ...py, prompt: 'sorting', metadata: { team: 'red' } }, 'runtime_error', 'mallory'),
];

beforeAll(async () => {
  t = await startTestSystem({ PADDOCK_ROLE: 'api' });
  store = await openStore(t.system.mongoUrl, t.config.MONGO_DB);
  await store.runs.insertMany(RUNS);
});
afterAll(async () => {
  await store?.close();
  await t?.close();
});

async function ids(query: string, as = 'sam'): Promise<string[]> {
  const res = await t.call('GET', `/v1/runs?${query}`, { as });
  expect(res.status).toBe(200);
  return res.body.items.map((r: any) => r.id);
}

/** Every page of a filtered list, following nextCursor. */
async function allPages(query: string): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const res = await t.call('GET', `/v1/runs?${query}${cursor ? `&cursor=${cursor}` : ''}`, { as: 'sam' });
    expect(res.status).toBe(200);
    pages.push(res.body.items.map((r: any) => r.id));
    cursor = res.body.nextCursor;
  } while (cursor);
  return pages;
}

it('filters on language and verdict, newest first, only the caller\'s runs', async () => {
  expect(await ids('language=python')).toEqual(['run_p5', 'run_p4', 'run_p3', 'run_p2', 'run_p1', 'run_d', 'run_c', 'run_a']);
  expect(await ids('verdict=runtime_error')).toEqual(['run_c', 'run_b']);
  expect(await ids('verdict=timeout')).toEqual(['run_e']);
  expect(await ids('language=python&verdict=runtime_error')).toEqual(['run_c']);
  expect(await ids('verdict=runtime_error', 'mallory')).toEqual(['run_x']);
});

it('filters on a creation time range: createdAfter inclusive, createdBefore exclusive, date-times with offsets or dates', async () => {
  expect(await ids('createdAfter=2025-01-02T10:00:00Z&createdBefore=2025-01-04T10:00:00Z')).toEqual(['run_c', 'run_b']);
  expect(await ids('createdAfter=2025-01-02&createdBefore=2025-01-04')).toEqual(['run_c', 'run_b']);
  expect(await ids('createdAfter=2025-01-05T12:00:00%2B02:00&createdBefore=2025-02-01')).toEqual(['run_e']);
  expect(await ids('createdBefore=2025-01-02')).toEqual(['run_a']);
  expect(await ids('createdAfter=2025-01-03&language=python&verdict=ok')).toEqual(['run_p5', 'run_p4', 'run_p3', 'run_p2', 'run_p1']);
});

it('finds free text q in the prompt or in metadata string values, case-insensitively, with regex characters taken literally', async () => {
  expect(await ids('q=sorting')).toEqual(['run_d', 'run_b']);
  expect(await ids('q=SORTING&kind=autorun')).toEqual(['run_d']);
  expect(await ids('q=flaky%20sort')).toEqual(['run_b']);
  expect(await ids('q=.*')).toEqual([]);
  expect(await ids('q=prod')).toEqual([]); // nested values are not free text
  expect(await ids('q=gree&createdBefore=2025-01-04')).toEqual([]);
});

it('pages through a filtered list with the cursor: no run twice, none left out', async () => {
  const pages = await allPages('language=python&verdict=ok&limit=2');
  expect(pages).toEqual([['run_p5', 'run_p4'], ['run_p3', 'run_p2'], ['run_p1', 'run_a']]);
  const text = await allPages('q=sorting&limit=1');
  expect(text).toEqual([['run_d'], ['run_b']]);
});

it('answers 400 for an unknown parameter, a malformed date, an unknown verdict and an inverted range', async () => {
  const unknown = await t.call('GET', '/v1/runs?colour=red', { as: 'sam' });
  expect(unknown.status).toBe(400);
  expect(unknown.body.error.details[0]).toMatchObject({ path: ['colour'], message: expect.stringContaining('unknown query parameter') });
  for (const bad of ['createdAfter=yesterday', 'createdBefore=2025-13-01', 'createdAfter=2025-01-01T10:00:00']) {
    const res = await t.call('GET', `/v1/runs?${bad}`, { as: 'sam' });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toEqual([bad.split('=')[0]]);
  }
  expect((await t.call('GET', '/v1/runs?verdict=great', { as: 'sam' })).status).toBe(400);
  const inverted = await t.call('GET', '/v1/runs?createdAfter=2025-02-01&createdBefore=2025-01-01', { as: 'sam' });
  expect(inverted.status).toBe(400);
  expect(inverted.body.error.details).toEqual([{ path: ['createdAfter'], message: 'later than createdBefore' }]);
});

/** `metadata.<key>` filters, through the route's query schema and the handler (and once over HTTP, below). */
describe('metadata.<key>=<value>', () => {
  async function listed(raw: Record<string, string>, sub = 'sam'): Promise<{ ids: string[]; nextCursor: string | null }> {
    const ctx: RequestContext = {
      deps: { store } as unknown as ApiDeps,
      principal: { sub, role: 'user' },
      params: {},
      query: parseOrThrow(listRunsQuery, raw, 'query'),
      headers: {},
      body: undefined,
    };
    const out = await listRuns(ctx);
    const body = out.body as { items: { id: string }[]; nextCursor: string | null };
    return { ids: body.items.map((r) => r.id), nextCursor: body.nextCursor };
  }

  it('matches a value, an array element, a number or a nested path; several filters and other filters combine', async () => {
    expect((await listed({ 'metadata.team': 'blue' })).ids).toEqual(['run_b']);
    expect((await listed({ 'metadata.tags': 'nightly' })).ids).toEqual(['run_a']);
    expect((await listed({ 'metadata.priority': '3' })).ids).toEqual(['run_c']);
    expect((await listed({ 'metadata.nested.env': 'prod' })).ids).toEqual(['run_c']);
    expect((await listed({ 'metadata.team': 'red', verdict: 'runtime_error' })).ids).toEqual(['run_c']);
    expect((await listed({ 'metadata.team': 'red', 'metadata.batch': 'paging', createdAfter: '2025-02-04' })).ids).toEqual(['run_p5', 'run_p4']);
    expect((await listed({ 'metadata.team': 'red' }, 'mallory')).ids).toEqual(['run_x']);
  });

  it('pages with the cursor', async () => {
    const first = await listed({ 'metadata.team': 'red', limit: '4' });
    expect(first.ids).toEqual(['run_p5', 'run_p4', 'run_p3', 'run_p2']);
    const second = await listed({ 'metadata.team': 'red', limit: '4', cursor: first.nextCursor! });
    expect(second).toEqual({ ids: ['run_p1', 'run_c', 'run_a'], nextCursor: null });
  });

  it('works over HTTP, and other undeclared names are still a 400 there', async () => {
    const hit = await t.call('GET', '/v1/runs?metadata.team=blue&verdict=runtime_error', { as: 'sam' });
    expect([hit.status, hit.body.items.map((r: { id: string }) => r.id)]).toEqual([200, ['run_b']]);
    const nested = await t.call('GET', '/v1/runs?metadata.nested.env=prod', { as: 'sam' });
    expect(nested.body.items.map((r: { id: string }) => r.id)).toEqual(['run_c']);
    for (const name of ['metadatax', 'meta.team', 'metadata.$where', 'q2']) {
      const res = await t.call('GET', `/v1/runs?${encodeURIComponent(name)}=x`, { as: 'sam' });
      expect([name, res.status]).toEqual([name, 400]);
    }
  });

  it('keeps every other undeclared name a 400, and metadata keys to letters, digits, _ and -', () => {
    for (const name of ['metadatax', 'metadata.', 'metadata.$where', 'metadata.a..b', 'meta.team']) {
      expect(() => parseOrThrow(listRunsQuery, { [name]: 'x' }, 'query')).toThrow('invalid query');
    }
  });
});
