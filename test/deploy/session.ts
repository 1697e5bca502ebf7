import { readSse } from '../helpers/sse';

/**
 * The README's curl session ("A session with curl") as HTTP requests against one
 * API node: submit, poll, stream, resume after event 3, cancel a running run, and
 * a cancel of a finished run is a conflict. Throws (via expect) on any difference.
 */
export async function readmeSession(base: string, token: string): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  const json = { ...auth, 'content-type': 'application/json' };

  const post = await fetch(`${base}/v1/runs`, { method: 'POST', headers: json, body: JSON.stringify({ language: 'python', code: 'print(6*7)' }) });
  expect(post.status).toBe(202);
  const created = (await post.json()) as { id: string; status: string; links: { events: string } };
  expect(created.status).toBe('queued');

  const run = await pollUntilDone(base, created.id, auth);
  expect(run.status).toBe('succeeded');
  expect(run.result).toMatchObject({ exitCode: 0, signal: null, stdout: '42\n', stderr: '', truncated: false, verdict: 'ok' });

  // Output may come in more than one chunk; everything else is exactly the README's sequence.
  const all = await readSse(`${base}${created.links.events}`, { headers: auth });
  const shape = all.events.map((e) => (e.event === 'status' ? `status:${JSON.parse(e.data).status}` : e.event));
  expect(shape.filter((s, i) => s !== 'stdout' || shape[i - 1] !== 'stdout')).toEqual(['status:queued', 'status:running', 'stdout', 'status:succeeded', 'result', 'end']);
  expect(all.events.map((e) => e.id)).toEqual(all.events.map((_, i) => String(i + 1)));
  expect(all.events.filter((e) => e.event === 'stdout').map((e) => JSON.parse(e.data).chunk).join('')).toBe('42\n');
  const resumed = await readSse(`${base}${created.links.events}`, { headers: { ...auth, 'last-event-id': '3' } });
  expect(resumed.events).toEqual(all.events.slice(3));

  // cancel: running → 202 and the container is killed; finished → 409
  const long = (await (await fetch(`${base}/v1/runs`, { method: 'POST', headers: json, body: JSON.stringify({ language: 'bash', code: 'echo tick; sleep 30' }) })).json()) as { id: string };
  await readSse(`${base}/v1/runs/${long.id}/events`, { headers: auth, until: (e) => e.event === 'stdout' });
  expect((await fetch(`${base}/v1/runs/${long.id}`, { method: 'DELETE', headers: auth })).status).toBe(202);
  expect((await pollUntilDone(base, long.id, auth)).status).toBe('cancelled');
  expect((await fetch(`${base}/v1/runs/${created.id}`, { method: 'DELETE', headers: auth })).status).toBe(409);
}

const TERMINAL = ['succeeded', 'failed', 'timed_out', 'cancelled', 'error'];

export async function pollUntilDone(base: string, id: string, headers: Record<string, string>, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${base}/v1/runs/${id}`, { headers });
    const body = (await res.json()) as { status?: string };
    if (res.status === 200 && TERMINAL.includes(body.status ?? '')) return body;
    if (Date.now() > deadline) throw new Error(`run ${id} did not finish: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls GET /ready until it reports `workers` live workers (bounded). */
export async function waitReady(base: string, workers: number, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const res = await fetch(`${base}/ready`);
      last = await res.text();
      if (res.status === 200 && (JSON.parse(last) as { checks: { workers: { count: number } } }).checks.workers.count === workers) return;
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline) throw new Error(`${base}/ready never reported ${workers} workers: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
