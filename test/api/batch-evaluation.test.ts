import { startFakeLlmServers, type FakeLlmServers } from '../fakes/llm';
import { startLlmTestSystem } from '../helpers/llm-system';
import { isDone, type TestSystem } from '../helpers/system';

let fakes: FakeLlmServers;
let t: TestSystem;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await startLlmTestSystem(fakes, { WORKER_CONCURRENCY: '4' });
});
afterAll(async () => {
  await t?.close();
  await fakes?.close();
});

describe('POST /v1/runs/batch', () => {
  it('accepts the valid runs and reports each invalid one by index', async () => {
    const runs = [
      ...Array.from({ length: 5 }, (_, i) => ({ language: 'bash', code: `echo ${i}` })),
      { language: 'cobol', code: 'x' },
      { language: 'python' },
    ];
    const res = await t.call('POST', '/v1/runs/batch', { body: { runs } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 5, rejected: 2 });
    expect(res.body.items[5]).toMatchObject({ index: 5, error: { code: 'validation_error' } });
    expect(res.body.items[6].error.details.map((d: any) => d.path)).toContainEqual(['code']);
    const ids = res.body.items.slice(0, 5).map((i: any) => i.id);
    const done = await Promise.all(ids.map((id: string) => t.waitFor(id, isDone)));
    expect(done.map((r) => r.result.stdout)).toEqual(['0\n', '1\n', '2\n', '3\n', '4\n']);
  });

  it('takes up to 1000 runs (all stored and queued) and refuses more', async () => {
    // API only: the 1000 runs stay queued instead of occupying the suite's worker.
    const api = await startLlmTestSystem(fakes, { PADDOCK_ROLE: 'api' });
    try {
      const many = Array.from({ length: 1000 }, () => ({ language: 'bash', code: 'true' }));
      const ok = await api.call('POST', '/v1/runs/batch', { body: { runs: many } });
      expect(ok.body.accepted).toBe(1000);
      const metrics = await api.scrape();
      expect(metrics).toMatch(/paddock_queue_jobs\{queue="runs",state="prioritized"\} 1000\b/);
      const tooMany = await api.call('POST', '/v1/runs/batch', { body: { runs: [...many, many[0]] } });
      expect(tooMany.status).toBe(400);
    } finally {
      await api.close();
    }
  });
});

describe('evaluation runs', () => {
  it('runs the same task across models and reports pass rate, latency and cost per model', async () => {
    fakes.openai.reset();
    const good = { type: 'text' as const, text: JSON.stringify({ code: 'def inc(x):\n    return x + 1\n' }), usage: { input: 10, output: 5 } };
    const bad = { type: 'text' as const, text: JSON.stringify({ code: 'def inc(x):\n    return x\n' }), usage: { input: 10, output: 5 } };
    // Sample 1 passes; sample 2 fails its only attempt.
    fakes.openai.script(good, bad);
    const created = await t.call('POST', '/v1/runs', {
      body: {
        kind: 'evaluation',
        language: 'python',
        prompt: 'Write inc(x).',
        tests: [{ name: 'inc', code: 'assert inc(1) == 2' }],
        models: ['fake/coder'],
        samples: 2,
      },
    });
    expect(created.status).toBe(202);
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('succeeded');
    const [coder] = run.result.models;
    expect(coder).toMatchObject({ model: 'fake/coder', samples: 2, passed: 1, passRate: 0.5, usage: { inputTokens: 20, outputTokens: 10 } });
    expect(coder.costUsd).toBeCloseTo((20 * 1 + 10 * 2) / 1e6, 12);
    expect(coder.meanLatencyMs).toEqual(expect.any(Number));
    const artifacts = await t.call('GET', `/v1/runs/${created.body.id}/artifacts`);
    expect(artifacts.body.items).toHaveLength(4); // 2 samples × (generation + execution)
  });
});
