import { MongoClient } from 'mongodb';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/** A run inserted by an API node that died before enqueueing its job is still run. */
let t: TestSystem;
let mongo: MongoClient;

beforeAll(async () => {
  t = await startTestSystem({ ORPHAN_RUN_AGE_MS: '300' });
  mongo = new MongoClient(t.system.mongoUrl);
});
afterAll(async () => {
  await mongo?.close();
  await t?.close();
});

it('re-enqueues a queued run whose job is missing, and it completes once', async () => {
  const id = 'run_orphan_test_1';
  const createdAt = new Date(Date.now() - 5000);
  await mongo.db(t.config.MONGO_DB).collection('runs').insertOne({
    _id: id as never,
    owner: 'alice',
    kind: 'code',
    status: 'queued',
    request: { kind: 'code', language: 'bash', code: 'echo recovered' },
    limits: { timeoutMs: 5000, memoryMb: 128, cpus: 1, pids: 64, outputBytes: 65536 },
    createdAt,
    updatedAt: createdAt,
    attempts: 0,
  });
  const run = await t.waitFor(id, isDone);
  expect(run.status).toBe('succeeded');
  expect(run.result.stdout).toBe('recovered\n');
  expect(run.attempts).toBe(1);
});
