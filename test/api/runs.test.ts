import { readSse } from '../helpers/sse';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

let t: TestSystem;

beforeAll(async () => {
  t = await startTestSystem();
});
afterAll(async () => {
  await t?.close();
});

describe('a code run end to end (real Redis, real Docker)', () => {
  it('runs python: 202, then succeeded with stdout 42', async () => {
    const created = await t.call('POST', '/v1/runs', { body: { language: 'python', code: 'print(6*7)' } });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'queued', links: { self: `/v1/runs/${created.body.id}` } });

    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('succeeded');
    expect(run.result).toMatchObject({ exitCode: 0, stdout: '42\n', verdict: 'ok', truncated: false });
    expect(run.attempts).toBe(1);
  });

  it('streams status, stdout and end over SSE, and replays exactly the events after Last-Event-ID', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: { language: 'javascript', code: 'for (let i = 0; i < 3; i++) console.log("line " + i);' },
    });
    const headers = { authorization: `Bearer ${await t.token('alice')}` };
    const url = `${t.url}/v1/runs/${created.body.id}/events`;
    const all = await readSse(url, { headers });
    expect(all.status).toBe(200);
    const types = all.events.map((e) => e.event);
    expect(types[0]).toBe('status');
    expect(types).toContain('stdout');
    expect(types.at(-1)).toBe('end');
    const seqs = all.events.map((e) => Number(e.id));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // gap-free, in order, from 1
    const stdout = all.events.filter((e) => e.event === 'stdout').map((e) => JSON.parse(e.data).chunk).join('');
    expect(stdout).toBe('line 0\nline 1\nline 2\n');
    expect(JSON.parse(all.events.find((e) => e.event === 'result')!.data).verdict).toBe('ok');

    for (const n of [1, 2, seqs.length - 1]) {
      const viaHeader = await readSse(url, { headers: { ...headers, 'last-event-id': String(n) } });
      expect(viaHeader.events.map((e) => Number(e.id))).toEqual(seqs.slice(n));
      const viaQuery = await readSse(`${url}?lastEventId=${n}`, { headers });
      expect(viaQuery.events).toEqual(all.events.slice(n));
    }
  });

  it('tails a run live: events arrive while the program is still running', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: { language: 'bash', code: 'echo first; sleep 1; echo second' },
    });
    const headers = { authorization: `Bearer ${await t.token('alice')}` };
    const arrivals: { type: string; chunk?: string; at: number }[] = [];
    await readSse(`${t.url}/v1/runs/${created.body.id}/events`, {
      headers,
      until: (e) => {
        arrivals.push({ type: e.event, chunk: e.event === 'stdout' ? JSON.parse(e.data).chunk : undefined, at: Date.now() });
        return e.event === 'end';
      },
    });
    const first = arrivals.find((a) => a.chunk?.includes('first'))!;
    const second = arrivals.find((a) => a.chunk?.includes('second'))!;
    expect(second.at - first.at).toBeGreaterThanOrEqual(500); // not delivered in one batch at the end
  });

  it('lists own runs newest first with a cursor, and pages logs', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await t.call('POST', '/v1/runs', { as: 'carol', body: { language: 'bash', code: `echo ${i}` } });
      ids.push(r.body.id);
    }
    const page1 = await t.call('GET', '/v1/runs?limit=2', { as: 'carol' });
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((r: any) => r.id)).toEqual([ids[2], ids[1]]);
    const page2 = await t.call('GET', `/v1/runs?limit=2&cursor=${page1.body.nextCursor}`, { as: 'carol' });
    expect(page2.body.items.map((r: any) => r.id)).toEqual([ids[0]]);
    expect(page2.body.nextCursor).toBeNull();

    await t.waitFor(ids[0]!, isDone, { as: 'carol' });
    const logs = await t.call('GET', `/v1/runs/${ids[0]}/logs?after=1&limit=2`, { as: 'carol' });
    expect(logs.status).toBe(200);
    expect(logs.body.items.map((e: any) => e.seq)).toEqual([2, 3]);
    expect(logs.body.nextAfter).toBe(3);
    const byStatus = await t.call('GET', '/v1/runs?status=succeeded', { as: 'carol' });
    expect(byStatus.body.items.map((r: any) => r.id)).toContain(ids[0]);
  });

  it('ends a program sleeping past its timeout as timed_out, keeping what it printed', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: { language: 'python', code: 'import time\nprint("before", flush=True)\ntime.sleep(30)\nprint("after")', limits: { timeoutMs: 1500 } },
    });
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('timed_out');
    expect(run.result.verdict).toBe('timeout');
    expect(run.result.stdout).toBe('before\n');
  });

  it('ends a program allocating past its memory limit with verdict memory_exceeded', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: { language: 'python', code: 'x = bytearray(512 * 1024 * 1024)\nfor i in range(0, len(x), 4096): x[i] = 1\nprint("survived")', limits: { memoryMb: 64 } },
    });
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('failed');
    expect(run.result.verdict).toBe('memory_exceeded');
    expect(run.result.stdout).not.toContain('survived');
  });

  it('ends exit(3) as failed with exitCode 3', async () => {
    const created = await t.call('POST', '/v1/runs', { body: { language: 'python', code: 'import sys\nsys.exit(3)' } });
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('failed');
    expect(run.result).toMatchObject({ exitCode: 3, verdict: 'runtime_error' });
  });

  it('passes stdin and extra files to the program', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: {
        language: 'python',
        code: 'import sys\nfrom helper import shout\nprint(shout(sys.stdin.read()))',
        files: [{ path: 'helper.py', content: 'def shout(s):\n    return s.strip().upper()\n' }],
        stdin: 'hello paddock\n',
      },
    });
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.result.stdout).toBe('HELLO PADDOCK\n');
  });

  it('cancels a running run: its container is gone within 2 s and the state is cancelled', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: { language: 'bash', code: 'echo started; sleep 30' },
    });
    const id = created.body.id;
    const headers = { authorization: `Bearer ${await t.token('alice')}` };
    // Wait until the program has really started (its first output is streamed).
    await readSse(`${t.url}/v1/runs/${id}/events`, { headers, until: (e) => e.event === 'stdout' });
    const cancelledAt = Date.now();
    const del = await t.call('DELETE', `/v1/runs/${id}`);
    expect([200, 202]).toContain(del.status);
    const run = await t.waitFor(id, isDone, { timeoutMs: 5000 });
    expect(run.status).toBe('cancelled');
    expect(run.result.verdict).toBe('killed');
    expect(Date.now() - cancelledAt).toBeLessThan(2000);
    expect(await containersOf(id)).toEqual([]);

    const again = await t.call('DELETE', `/v1/runs/${id}`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });
});

async function containersOf(runId: string): Promise<string[]> {
  const Docker = (await import('dockerode')).default;
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const list = await docker.listContainers({ all: true, filters: { label: [`paddock.run=${runId}`] } });
  return list.map((c) => c.Id);
}
