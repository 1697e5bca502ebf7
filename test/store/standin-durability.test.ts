/**
 * The sqlite stand-in keeps its data: through a close and a start on the same file, and
 * through kill -9 of the process right after a write was acknowledged. Everything goes
 * through the real `mongodb` driver.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Decimal128, Long, MongoClient, MongoServerError, ObjectId, type Db } from 'mongodb';
import { startMongoStandin, StorageInUseError, type MongoStandin } from '../../mongo-standin';

const ROOT = path.resolve(__dirname, '../..');

let dir: string;
let file: string;
const open: Array<{ client: MongoClient; standin: MongoStandin }> = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paddock-standin-'));
  file = path.join(dir, 'mongo', 'paddock.sqlite');
});

afterEach(async () => {
  for (const { client, standin } of open.splice(0)) {
    await client.close();
    await standin.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts a sqlite stand-in on `file` and connects a driver to it. */
async function start(): Promise<{ client: MongoClient; db: Db; standin: MongoStandin; stop(): Promise<void> }> {
  const standin = await startMongoStandin({ storage: { engine: 'sqlite', file } });
  const client = new MongoClient(standin.url, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const entry = { client, standin };
  open.push(entry);
  return {
    client,
    db: client.db('paddock'),
    standin,
    async stop() {
      open.splice(open.indexOf(entry), 1);
      await client.close();
      await standin.close();
    },
  };
}

async function serverError(promise: Promise<unknown>): Promise<MongoServerError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MongoServerError);
  return err as MongoServerError;
}

describe('a restart on the same file', () => {
  test('keeps documents, their order and types, and every index with its constraint', async () => {
    const first = await start();
    expect(first.standin.storage).toEqual({ engine: 'sqlite', file });
    const { db } = first;
    const runId = new ObjectId();
    const at = new Date('2025-01-02T03:04:05.678Z');
    await db.collection('runs').insertMany([
      { _id: 'run-a', status: 'queued', owner: 'alice', createdAt: at, limits: { timeoutMs: 5000 }, big: Long.fromString('9007199254740993'), price: Decimal128.fromString('0.10') },
      { _id: 'run-b', status: 'queued', owner: 'bob', createdAt: at },
      { _id: 'run-c', status: 'queued', owner: 'carol', createdAt: at },
    ] as never);
    await db.collection('runs').updateOne({ _id: 'run-a' } as never, { $set: { status: 'succeeded', result: { exitCode: 0, stdout: '42\n' } } });
    await db.collection('runs').deleteOne({ _id: 'run-c' } as never);

    const events = db.collection('run_events');
    await events.createIndex({ runId: 1, seq: 1 }, { unique: true, name: 'run_seq' });
    await events.insertMany(Array.from({ length: 5 }, (_, i) => ({ runId, seq: i + 1, type: 'stdout', data: { chunk: `${i}` } })));

    const pulls = db.collection('model_pulls');
    await pulls.createIndexes([{ key: { 'server.url': 1, model: 1 }, name: 'one_active_pull', unique: true, partialFilterExpression: { active: true } }]);
    await pulls.insertMany([
      { _id: 'p1', server: { url: 'http://ollama:11434' }, model: 'llama3', active: false },
      { _id: 'p2', server: { url: 'http://ollama:11434' }, model: 'llama3', active: true },
    ] as never);

    // Catalog changes must stick too: a dropped index, a dropped and a renamed collection.
    await db.collection('scratch').createIndex({ x: 1 }, { unique: true, name: 'x_unique' });
    await db.collection('scratch').dropIndex('x_unique');
    await db.collection('gone').insertOne({ x: 1 });
    await db.collection('gone').drop();
    await db.collection('before').insertOne({ _id: 'kept', v: 1 } as never);
    await db.collection('before').rename('after');
    const runsBefore = await db.collection('runs').find().toArray();
    await first.stop();

    const second = await start();
    const again = second.db;
    // Natural order (no sort) is insertion order, and an updated document keeps its place.
    expect(await again.collection('runs').find().toArray()).toEqual(runsBefore);
    const a = await again.collection('runs').findOne({ _id: 'run-a' } as never);
    expect(a).toMatchObject({ status: 'succeeded', result: { exitCode: 0, stdout: '42\n' }, createdAt: at, limits: { timeoutMs: 5000 } });
    expect(Long.isLong(a!.big)).toBe(true);
    expect(String(a!.big)).toBe('9007199254740993');
    expect(a!.price).toBeInstanceOf(Decimal128);
    expect(await again.collection('runs').findOne({ _id: 'run-c' } as never)).toBeNull();

    const names = (await again.listCollections().toArray()).map((c) => c.name).sort();
    expect(names).toEqual(['after', 'model_pulls', 'run_events', 'runs', 'scratch']);
    expect(await again.collection('after').findOne({})).toEqual({ _id: 'kept', v: 1 });
    expect((await again.collection('scratch').listIndexes().toArray()).map((ix) => ix.name)).toEqual(['_id_']);

    const ev = again.collection('run_events');
    expect((await ev.find({ runId }).sort({ seq: 1 }).toArray()).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await ev.find({ runId }).toArray())[0]!.runId).toBeInstanceOf(ObjectId);
    expect((await ev.listIndexes().toArray()).map((ix) => ({ name: ix.name, key: ix.key, unique: ix.unique ?? false }))).toEqual([
      { name: '_id_', key: { _id: 1 }, unique: false },
      { name: 'run_seq', key: { runId: 1, seq: 1 }, unique: true },
    ]);
    const dupSeq = await serverError(ev.insertOne({ runId, seq: 3, type: 'stdout' }));
    expect(dupSeq.code).toBe(11000);
    expect(dupSeq.message).toContain('index: run_seq');
    await ev.insertOne({ runId, seq: 6, type: 'end' });

    const pl = again.collection('model_pulls');
    const pullIndex = (await pl.listIndexes().toArray()).find((ix) => ix.name === 'one_active_pull');
    expect(pullIndex).toMatchObject({ unique: true, partialFilterExpression: { active: true } });
    const dupPull = await serverError(pl.insertOne({ server: { url: 'http://ollama:11434' }, model: 'llama3', active: true }));
    expect(dupPull.code).toBe(11000);
    await pl.insertOne({ server: { url: 'http://ollama:11434' }, model: 'llama3', active: false });
    // Finishing the active pull frees the key for a new one.
    await pl.updateOne({ _id: 'p2' } as never, { $set: { active: false } });
    await pl.insertOne({ _id: 'p3', server: { url: 'http://ollama:11434' }, model: 'llama3', active: true } as never);
    await second.stop();

    // What the second life wrote is there for a third.
    const third = await start();
    expect(await third.db.collection('run_events').countDocuments({ runId })).toBe(6);
    expect(await third.db.collection('model_pulls').countDocuments({ active: true })).toBe(1);
    expect((await third.db.collection('model_pulls').findOne({ active: true }))!._id).toBe('p3');
    const newId = (await third.db.collection('runs').insertOne({ status: 'queued' })).insertedId;
    expect(await third.db.collection('runs').countDocuments()).toBe(3);
    expect((await third.db.collection('runs').find().toArray()).at(-1)!._id).toEqual(newId);
  });

  test('indexed queries find what was written before the restart, and keep up after it', async () => {
    const first = await start();
    const runs = first.db.collection<{ _id: string; owner: string; status: string; tags?: string[] }>('runs');
    await runs.createIndex({ owner: 1, status: 1 }, { name: 'owner_status' });
    await runs.createIndex({ status: 1 }, { name: 'status' });
    await runs.createIndex({ tags: 1 }, { name: 'tags' });
    await runs.insertMany(Array.from({ length: 12 }, (_, i) => ({ _id: `r${String(i).padStart(2, '0')}`, owner: `o${i % 3}`, status: 'queued', tags: [`t${i % 2}`] })));
    await runs.updateOne({ _id: 'r00' }, { $set: { owner: 'o9', status: 'running' } });
    await runs.deleteOne({ _id: 'r03' });
    const events = first.db.collection<{ runId: string; seq: number }>('run_events');
    await events.createIndex({ runId: 1, seq: 1 }, { unique: true, name: 'run_seq' });
    await events.insertMany(Array.from({ length: 30 }, (_, i) => ({ runId: `run${i % 3}`, seq: Math.floor(i / 3) + 1 })));
    await first.stop();

    const second = await start();
    const again = second.db.collection<{ _id: string; owner: string; status: string; tags?: string[] }>('runs');
    const ids = (filter: object) => again.find(filter).map((d) => d._id).toArray();
    expect(await ids({ owner: 'o0' })).toEqual(['r06', 'r09']);
    expect(await ids({ owner: 'o9' })).toEqual(['r00']);
    expect(await again.countDocuments({ owner: 'o1', status: { $in: ['queued', 'running'] } })).toBe(4);
    expect(await ids({ tags: 't1', owner: 'o0' })).toEqual(['r09']);
    expect(await ids({ _id: 'r03' })).toEqual([]);
    const ev = second.db.collection<{ runId: string; seq: number }>('run_events');
    expect((await ev.find({ runId: 'run1' }).sort({ seq: -1 }).limit(1).next())?.seq).toBe(10);
    expect((await ev.find({ runId: 'run2', seq: { $gt: 8 } }).sort({ seq: 1 }).toArray()).map((e) => e.seq)).toEqual([9, 10]);
    // Changes after the restart move documents between values, as before it.
    await again.updateOne({ _id: 'r06' }, { $set: { owner: 'o1' } });
    await again.deleteOne({ _id: 'r09' });
    expect(await ids({ owner: 'o0' })).toEqual([]);
    expect(await ids({ owner: 'o1' })).toEqual(['r01', 'r04', 'r06', 'r07', 'r10']);
    await again.dropIndex('owner_status');
    expect(await ids({ owner: 'o1', status: 'queued' })).toEqual(['r01', 'r04', 'r06', 'r07', 'r10']);
  });

  test('a dropped database stays dropped, the others stay', async () => {
    const first = await start();
    await first.db.collection('runs').insertOne({ _id: 'kept' } as never);
    await first.client.db('scratch').collection('runs').insertOne({ x: 1 });
    await first.client.db('scratch').dropDatabase();
    await first.stop();
    const second = await start();
    const names = (await second.client.db('admin').admin().listDatabases()).databases.map((d) => d.name);
    expect(names).toEqual(['paddock']);
    expect(await second.db.collection('runs').find().toArray()).toEqual([{ _id: 'kept' }]);
    expect(await second.client.db('scratch').listCollections().toArray()).toEqual([]);
  });

  test('a second stand-in on a file in use is refused, naming the first one’s url', async () => {
    const first = await start();
    const err = await startMongoStandin({ storage: { engine: 'sqlite', file } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageInUseError);
    expect((err as StorageInUseError).url).toBe(first.standin.url);
    // The first one is unharmed, and once it is gone the file opens again.
    await first.db.collection('c').insertOne({ ok: true });
    await first.stop();
    const second = await start();
    expect(await second.db.collection('c').countDocuments({ ok: true })).toBe(1);
  });
});

describe('kill -9', () => {
  test('loses no acknowledged write', async () => {
    const count = 200;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'standin-writer.ts'), file, String(count)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (c, s) => resolve({ code: c, signal: s })),
    );
    expect({ code, signal, stderr }).toEqual({ code: null, signal: 'SIGKILL', stderr: '' });
    const acks = stdout.trim().split('\n');
    expect(acks).toHaveLength(count + 4);
    expect(acks.at(-1)).toBe('ack deleteMany');

    const { db } = await start();
    const events = db.collection('run_events');
    expect((await events.find({ runId: 'r1' }).sort({ seq: 1 }).toArray()).map((e) => e.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    const r2 = await events.find({ runId: 'r2' }).sort({ seq: 1 }).toArray();
    expect(r2.map((e) => [e.seq, e.flushed])).toEqual([1, 2, 3, 4, 5].map((seq) => [seq, true]));
    expect((await serverError(events.insertOne({ runId: 'r1', seq: count }))).code).toBe(11000);
  }, 60_000);
});
