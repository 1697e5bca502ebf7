import fs from 'node:fs';
import path from 'node:path';
import { useLlmTestSystem } from '../helpers/llm-system';
import { parseScrape, valueOf, type Sample } from '../helpers/prometheus';
import { isDone, startTestSystem } from '../helpers/system';

/** /metrics tells what happened: job outcomes, queue wait, run duration, pool, LLM calls, SSE streams, queue states; and who may read it. */
const METRICS_TOKEN = 'scrape-token-0123456789abcdef';
const sys = useLlmTestSystem({ METRICS_PORT: '0', METRICS_TOKEN });

const scrape = async (): Promise<Sample[]> => parseScrape(await sys.t.scrape());

async function finished(body: Record<string, unknown>) {
  const created = await sys.t.call('POST', '/v1/runs', { body });
  expect(created.status).toBe(202);
  return sys.t.waitFor(created.body.id, isDone);
}

describe('who may read /metrics', () => {
  it('answers 401 without credentials, 403 to a user, 200 to an admin and to METRICS_TOKEN', async () => {
    const url = `${sys.t.url}/metrics`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('unauthorized');
    const user = await fetch(url, { headers: { authorization: `Bearer ${await sys.t.token('alice')}` } });
    expect(user.status).toBe(403);
    const wrong = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const scraper = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraper.status).toBe(200);
    expect(await scraper.text()).toContain('paddock_queue_jobs');
  });

  it('serves the same registry on METRICS_PORT, where METRICS_TOKEN is required when set', async () => {
    const own = sys.t.system.metrics!;
    expect((await fetch(`${own.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${own.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    const samples = parseScrape(await res.text());
    expect(valueOf(samples, 'paddock_sandbox_pool_containers', { state: 'ready' })).toBeDefined();
    expect(valueOf(samples, 'paddock_http_request_duration_seconds_count')).toBeDefined();
    expect((await fetch(`${own.url}/other`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(404);
  });
});

describe('figures', () => {
  it('counts finished runs by kind, status and verdict, with queue wait and run duration', async () => {
    const before = await scrape();
    const ok = await finished({ language: 'bash', code: 'echo hi' });
    const bad = await finished({ language: 'bash', code: 'exit 3' });
    expect([ok.status, bad.status]).toEqual(['succeeded', 'failed']);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
    const runs = { queue: 'runs', kind: 'code' };
    expect(delta('paddock_jobs_finished_total', { ...runs, status: 'succeeded', verdict: 'ok' })).toBe(1);
    expect(delta('paddock_jobs_finished_total', { ...runs, status: 'failed', verdict: 'runtime_error' })).toBe(1);
    expect(delta('paddock_job_queue_wait_seconds_count', runs)).toBe(2);
    expect(delta('paddock_job_run_duration_seconds_count', { ...runs, status: 'succeeded' })).toBe(1);
    expect(delta('paddock_job_run_duration_seconds_count', { ...runs, status: 'failed' })).toBe(1);
    expect(delta('paddock_runs_created_total', { kind: 'code', language: 'bash' })).toBe(2);
  });

  it('counts a cancel of a queued run where it happened (the API node), without a run duration', async () => {
    const api = await startTestSystem({ PADDOCK_ROLE: 'api' });
    try {
      const created = await api.call('POST', '/v1/runs', { body: { language: 'bash', code: 'true' } });
      expect((await api.call('DELETE', `/v1/runs/${created.body.id}`)).status).toBe(200);
      const samples = parseScrape(await api.scrape());
      expect(valueOf(samples, 'paddock_jobs_finished_total', { queue: 'runs', kind: 'code', status: 'cancelled', verdict: 'none' })).toBe(1);
      expect(valueOf(samples, 'paddock_job_run_duration_seconds_count', { status: 'cancelled' })).toBeUndefined();
    } finally {
      await api.close();
    }
  });

  it('counts LLM calls, tokens, cost and latency per provider and model, failures included', async () => {
    const before = await scrape();
    sys.fakes.openai.script({ type: 'text', text: '```python\ndef f():\n    return 1\n```', usage: { input: 100, output: 50 } });
    const run = await finished({ kind: 'autorun', language: 'python', prompt: 'Write f().', model: 'fake/coder', tests: [{ name: 'one', code: 'assert f() == 1' }] });
    expect(run.status).toBe('succeeded');
    sys.fakes.openai.script({ type: 'error', status: 400, message: 'bad request' });
    const broken = await finished({ kind: 'autorun', language: 'python', prompt: 'Write f().', model: 'fake/coder' });
    expect(broken.status).toBe('error');
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
    const who = { provider: 'fake', model: 'coder' };
    expect(delta('paddock_llm_calls_total', { ...who, operation: 'chat', outcome: 'ok' })).toBe(1);
    expect(delta('paddock_llm_calls_total', { ...who, operation: 'chat', outcome: 'failed' })).toBe(1);
    expect(delta('paddock_llm_tokens_total', { ...who, direction: 'input' })).toBe(100);
    expect(delta('paddock_llm_tokens_total', { ...who, direction: 'output' })).toBe(50);
    // The fake model's price: 1 USD per million input tokens, 2 per million output tokens.
    expect(delta('paddock_llm_cost_usd_total', who)).toBeCloseTo((100 * 1 + 50 * 2) / 1e6, 12);
    expect(delta('paddock_llm_call_duration_seconds_count', { ...who, operation: 'chat' })).toBe(1);
    expect(delta('paddock_jobs_finished_total', { queue: 'runs', kind: 'autorun', status: 'error' })).toBe(1);
  });

  it('gauges open event streams while a client is connected', async () => {
    let release!: () => void;
    sys.fakes.openai.script({ type: 'text', text: '```python\ndef f():\n    return 1\n```', gate: new Promise<void>((r) => (release = r)) });
    const created = await sys.t.call('POST', '/v1/runs', { body: { kind: 'autorun', language: 'python', prompt: 'Write f().', model: 'fake/coder' } });
    const client = new AbortController();
    const res = await fetch(`${sys.t.url}/v1/runs/${created.body.id}/events`, {
      headers: { authorization: `Bearer ${await sys.t.token('alice')}` }, signal: client.signal,
    });
    const reader = res.body!.getReader();
    await reader.read(); // the stream is open: its first frame arrived
    expect(valueOf(await scrape(), 'paddock_sse_streams', { queue: 'runs' })).toBe(1);
    client.abort();
    await reader.closed.catch(() => undefined);
    release();
    await sys.t.waitFor(created.body.id, isDone);
    await until(async () => valueOf(await scrape(), 'paddock_sse_streams', { queue: 'runs' }) === 0);
  });

  it('reports every BullMQ 6 state of every queue, and the sandbox pool', async () => {
    const samples = await scrape();
    for (const queue of ['runs', 'experiments', 'model-pulls', 'webhooks']) {
      for (const state of ['waiting', 'prioritized', 'waiting-children', 'active', 'delayed', 'completed', 'failed']) {
        expect([queue, state, valueOf(samples, 'paddock_queue_jobs', { queue, state })]).toEqual([queue, state, expect.any(Number)]);
      }
    }
    expect(valueOf(samples, 'paddock_queue_jobs', { queue: 'runs', state: 'completed' })).toBeGreaterThan(0);
    for (const state of ['ready', 'creating']) expect(valueOf(samples, 'paddock_sandbox_pool_containers', { state })).toEqual(expect.any(Number));
    expect(valueOf(samples, 'paddock_sandbox_pool_waiting')).toEqual(expect.any(Number));
    expect(valueOf(samples, 'paddock_sandbox_containers')).toEqual(expect.any(Number));
  });

  it('the Grafana dashboard queries only metric names this system exports', async () => {
    const names = new Set((await scrape()).map((s) => s.name));
    const dashboard = JSON.parse(fs.readFileSync(path.join(__dirname, '../../dashboards/grafana/paddock.json'), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const missing = exprs.flatMap((e) => {
      const used = [...e.matchAll(/\bpaddock_[a-z0-9_]+/g)].map((m) => m[0]);
      if (used.length === 0) return [`no paddock metric in: ${e}`];
      return used.filter((n) => !names.has(n)).map((n) => `${n} in: ${e}`);
    });
    expect(missing).toEqual([]);
  });
});

/** Polls `check` until it holds; the gauge drops when the server notices the closed connection. */
async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}
