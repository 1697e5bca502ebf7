import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { freePort } from '../../core/local-redis';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * What an admin sees in Bull Board and /metrics tells the truth: a run that
 * ended `error` is a failed job with its code, every other run a completed job
 * whose return value carries its status and verdict, job data names kind and
 * owner, and Retry (which could only replay a written terminal state) is off.
 */
let t: TestSystem;
let redis: Redis;
let queue: Queue;

beforeAll(async () => {
  const closed = await freePort();
  t = await startTestSystem({
    LLM_PROVIDERS: JSON.stringify([{ name: 'down', type: 'openai-compatible', baseURL: `http://127.0.0.1:${closed}/v1`, models: ['m'], retry: { maxAttempts: 1 } }]),
  });
  redis = new Redis(t.system.redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue('runs', { connection: redis, prefix: t.config.QUEUE_PREFIX });
});
afterAll(async () => {
  await queue?.close();
  redis?.disconnect();
  await t?.close();
});

async function finished(body: unknown): Promise<{ run: any; job: any }> {
  const created = await t.call('POST', '/v1/runs', { body });
  expect(created.status).toBe(202);
  const run = await t.waitFor(created.body.id, isDone);
  // The job settles right after the document: wait for BullMQ to record it.
  for (let i = 0; i < 100; i++) {
    const job = await queue.getJob(run.id);
    const state = await job?.getState();
    if (state === 'completed' || state === 'failed') return { run, job };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job of ${run.id} never settled`);
}

it('a succeeded and a failed program are completed jobs with status and verdict; data names kind and owner', async () => {
  const ok = await finished({ language: 'bash', code: 'echo hi' });
  expect(ok.job.returnvalue).toEqual({ status: 'succeeded', verdict: 'ok' });
  expect(ok.job.data).toEqual({ id: ok.run.id, kind: 'code', owner: 'alice', priority: 'medium' });
  const bad = await finished({ language: 'bash', code: 'exit 3' });
  expect(await bad.job.getState()).toBe('completed');
  expect(bad.job.returnvalue).toEqual({ status: 'failed', verdict: 'runtime_error' });
});

it('a run that ended in error is a failed job carrying its code, and /metrics counts it as failed', async () => {
  const { run, job } = await finished({ kind: 'autorun', language: 'python', prompt: 'Write f().', model: 'down/m' });
  expect(run.status).toBe('error');
  expect(await job.getState()).toBe('failed');
  expect(job.failedReason).toContain('provider_unavailable');
  expect(job.attemptsMade).toBe(1); // not retried: the LLM layer's retries were spent
  const metrics = await t.scrape();
  expect(metrics).toMatch(/paddock_queue_jobs\{queue="runs",state="failed"\} 1/);
});

it('Bull Board offers no retry', async () => {
  const admin = await t.token('root', 'admin');
  const res = await fetch(`${t.url}/admin/queues/api/queues?activeQueue=runs&status=failed`, { headers: { authorization: `Bearer ${admin}` } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { queues: { name: string; allowRetries: boolean; allowCompletedRetries: boolean }[] };
  expect(body.queues.length).toBeGreaterThan(0);
  for (const q of body.queues) expect([q.name, q.allowRetries, q.allowCompletedRetries]).toEqual([q.name, false, false]);
});
