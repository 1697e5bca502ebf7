/**
 * Store contract: the official driver against every store it may meet. Always the two
 * stand-in storages (memory, and sqlite on a fresh temp file); also a real MongoDB when
 * MONGO_URL is set. Every assertion must hold for each.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Binary,
  Decimal128,
  Double,
  Int32,
  Long,
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  ObjectId,
  type CommandSucceededEvent,
  type Db,
} from 'mongodb';
import { startMongoStandin } from '../../mongo-standin';

interface Target {
  name: string;
  /** Starts (or reaches) the server; returns its url and how to release it. */
  open(): Promise<{ url: string; close(): Promise<void> }>;
}

const TARGETS: Target[] = [
  {
    name: 'the stand-in (memory)',
    open: () => startMongoStandin({ storage: { engine: 'memory' } }),
  },
  {
    name: 'the stand-in (sqlite)',
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paddock-contract-'));
      const file = path.join(dir, 'paddock.sqlite');
      const standin = await startMongoStandin({ storage: { engine: 'sqlite', file } });
      // Guards the parametrisation itself: this target must really be backed by the file.
      if (!fs.existsSync(file)) throw new Error(`the sqlite stand-in did not create ${file}`);
      return {
        url: standin.url,
        async close() {
          await standin.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  ...(process.env.MONGO_URL ? [{ name: 'MongoDB at MONGO_URL', open: async () => ({ url: process.env.MONGO_URL!, close: async () => undefined }) }] : []),
];

let client: MongoClient;
const usedDbs: string[] = [];
let dbCounter = 0;
const succeeded: CommandSucceededEvent[] = [];

/** A fresh database per test so runs (and a shared real server) never collide. */
function freshDb(): Db {
  const name = `paddock_contract_${process.pid}_${Date.now().toString(36)}_${dbCounter++}`;
  usedDbs.push(name);
  return client.db(name);
}

async function expectServerError(promise: Promise<unknown>, code: number): Promise<MongoServerError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MongoServerError);
  expect((err as MongoServerError).code).toBe(code);
  return err as MongoServerError;
}

describe.each(TARGETS)('against $name', (target) => {
  let server: { url: string; close(): Promise<void> } | undefined;

  beforeAll(async () => {
    server = await target.open();
    client = new MongoClient(server.url, { serverSelectionTimeoutMS: 5000, monitorCommands: true });
    client.on('commandSucceeded', (event) => succeeded.push(event));
    await client.connect();
  });

  afterEach(async () => {
    succeeded.length = 0;
    for (const name of usedDbs.splice(0)) await client.db(name).dropDatabase();
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  describe('handshake and admin', () => {
    test('ping, hello and buildInfo answer like a modern server', async () => {
      const admin = client.db('admin');
      expect((await admin.command({ ping: 1 })).ok).toBe(1);
      const hello = await admin.command({ hello: 1 });
      expect(hello.isWritablePrimary).toBe(true);
      expect(hello.maxWireVersion).toBeGreaterThanOrEqual(8);
      expect(hello.maxBsonObjectSize).toBe(16 * 1024 * 1024);
      const info = await admin.command({ buildInfo: 1 });
      expect(typeof info.version).toBe('string');
      expect(Number(String(info.version).split('.')[0])).toBeGreaterThanOrEqual(4);
    });

    test('an unknown command fails with CommandNotFound (59)', async () => {
      const err = await expectServerError(freshDb().command({ noSuchCommandHere: 1 }), 59);
      expect(err.codeName).toBe('CommandNotFound');
      expect(err.message).toContain('noSuchCommandHere');
    });
  });

  describe('insert', () => {
    test('insertOne generates an ObjectId and BSON types round-trip', async () => {
      const jobs = freshDb().collection('jobs');
      const at = new Date('2024-05-06T07:08:09.123Z');
      const doc = {
        name: 'x',
        at,
        nested: { list: [1, 'two', { three: 3 }], flag: true, nothing: null },
        big: Long.fromString('9007199254740993'),
        bin: new Binary(Buffer.from([1, 2, 3])),
        dec: Decimal128.fromString('1.10'),
        ratio: 0.25,
      };
      const result = await jobs.insertOne(doc);
      expect(result.insertedId).toBeInstanceOf(ObjectId);
      const found = await jobs.findOne({ _id: result.insertedId });
      expect(found).not.toBeNull();
      expect(found!._id.equals(result.insertedId)).toBe(true);
      expect(found!.at).toEqual(at);
      expect(found!.nested).toEqual({ list: [1, 'two', { three: 3 }], flag: true, nothing: null });
      // Past 2^53 the driver keeps a Long; it must survive the trip unchanged.
      expect(Long.isLong(found!.big)).toBe(true);
      expect(String(found!.big)).toBe('9007199254740993');
      expect(Buffer.from((found!.bin as Binary).buffer)).toEqual(Buffer.from([1, 2, 3]));
      expect(String(found!.dec)).toBe('1.10');
      expect(found!.ratio).toBe(0.25);
    });

    test('insertMany ordered stops at the first duplicate _id', async () => {
      const c = freshDb().collection<{ _id: number; v: string }>('c');
      const err = await c
        .insertMany([
          { _id: 1, v: 'a' },
          { _id: 2, v: 'b' },
          { _id: 1, v: 'dup' },
          { _id: 3, v: 'c' },
        ])
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(MongoBulkWriteError);
      const bulk = err as MongoBulkWriteError;
      expect(bulk.code).toBe(11000);
      expect(bulk.insertedCount).toBe(2);
      expect(bulk.writeErrors).toHaveLength(1);
      const writeError = Array.isArray(bulk.writeErrors) ? bulk.writeErrors[0]! : bulk.writeErrors;
      expect(writeError.index).toBe(2);
      expect(writeError.errmsg).toMatch(/^E11000 duplicate key error collection: \S+\.c index: _id_ dup key: \{ _id: 1 \}/);
      expect(await c.find().sort({ _id: 1 }).toArray()).toEqual([
        { _id: 1, v: 'a' },
        { _id: 2, v: 'b' },
      ]);
    });

    test('insertMany unordered inserts everything except the duplicates', async () => {
      const c = freshDb().collection<{ _id: number }>('c');
      const err = (await c.insertMany([{ _id: 1 }, { _id: 1 }, { _id: 2 }, { _id: 2 }, { _id: 3 }], { ordered: false }).catch((e: unknown) => e)) as MongoBulkWriteError;
      expect(err).toBeInstanceOf(MongoBulkWriteError);
      expect(err.code).toBe(11000);
      expect(err.insertedCount).toBe(3);
      const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      expect(errors.map((e) => e.index).sort()).toEqual([1, 3]);
      expect(await c.countDocuments()).toBe(3);
    });

    test('stored documents are not shared with the caller', async () => {
      const c = freshDb().collection<{ _id: string; list: number[] }>('c');
      const doc = { _id: 'k', list: [1] };
      await c.insertOne(doc);
      doc.list.push(2);
      const first = await c.findOne({ _id: 'k' } as never);
      (first!.list as number[]).push(3);
      expect((await c.findOne({ _id: 'k' } as never))!.list).toEqual([1]);
    });
  });

  describe('find and cursors', () => {
    async function seed(db: Db) {
      const c = db.collection<{ _id: number; n: number; group: string; tags: string[]; extra?: string }>('items');
      await c.insertMany(
        Array.from({ length: 10 }, (_, i) => ({ _id: i, n: i * 10, group: i % 2 === 0 ? 'even' : 'odd', tags: [`t${i % 3}`], extra: 'x' })),
      );
      return c;
    }

    test('filter, sort, skip, limit and projection', async () => {
      const c = await seed(freshDb());
      const docs = await c
        .find({ group: 'even', n: { $gte: 20 } }, { projection: { group: 1, n: 1 } })
        .sort({ n: -1 })
        .skip(1)
        .limit(2)
        .toArray();
      expect(docs).toEqual([
        { _id: 6, n: 60, group: 'even' },
        { _id: 4, n: 40, group: 'even' },
      ]);
      // mongod keeps _id first and the document's own field order, not the projection's.
      expect(Object.keys(docs[0]!)).toEqual(['_id', 'n', 'group']);
      const excluded = await c.find({ _id: 3 }, { projection: { _id: 0, tags: 0, extra: 0 } }).toArray();
      expect(excluded).toEqual([{ n: 30, group: 'odd' }]);
      expect(await c.find({ tags: 't1' }).map((d) => d._id).toArray()).toEqual([1, 4, 7]);
      expect(await c.find({ $or: [{ _id: 0 }, { n: { $in: [90] } }] }).map((d) => d._id).toArray()).toEqual([0, 9]);
      expect(await c.countDocuments({ group: { $regex: "^od" } })).toBe(5);
      expect(await c.findOne({ nope: 1 })).toBeNull();
    });

    test('a cursor over more than 101 documents fetches the rest with getMore', async () => {
      const c = freshDb().collection<{ i: number }>('many');
      await c.insertMany(Array.from({ length: 250 }, (_, i) => ({ i })));
      const seen = await c.find().sort({ i: 1 }).map((d) => d.i).toArray();
      expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i));
      const getMores = succeeded.filter((e) => e.commandName === 'getMore');
      expect(getMores.length).toBeGreaterThanOrEqual(1);
      const find = succeeded.find((e) => e.commandName === 'find');
      expect((find!.reply as { cursor: { firstBatch: unknown[] } }).cursor.firstBatch).toHaveLength(101);
    });

    test('closing a cursor early kills it on the server', async () => {
      const db = freshDb();
      const c = db.collection<{ i: number }>('many');
      await c.insertMany(Array.from({ length: 30 }, (_, i) => ({ i })));
      const cursor = c.find({}, { batchSize: 5 }).sort({ i: 1 });
      const firstTwo = [await cursor.next(), await cursor.next()].map((d) => d!.i);
      expect(firstTwo).toEqual([0, 1]);
      const cursorId = cursor.id!;
      expect(cursorId.isZero()).toBe(false);
      await cursor.close();
      const kill = succeeded.find((e) => e.commandName === 'killCursors');
      expect(kill).toBeDefined();
      const killed = (kill!.reply as { cursorsKilled: unknown[] }).cursorsKilled.map(String);
      expect(killed).toEqual([String(cursorId)]);
      // The server has forgotten it: a getMore on the same id fails with CursorNotFound (43).
      await expectServerError(db.command({ getMore: cursorId, collection: 'many' }), 43);
    });
  });

  describe('update', () => {
    test('updateOne and updateMany with operators', async () => {
      const c = freshDb().collection('u');
      await c.insertMany([
        { _id: 1, n: 1, tags: ['a'], lo: 5, hi: 5, old: 'x', gone: true },
        { _id: 2, n: 2, tags: ['b'] },
        { _id: 3, n: 3, tags: [] },
      ] as never);
      const one = await c.updateOne({ _id: 1 } as never, {
        $set: { 'sub.deep': 'y' },
        $inc: { n: 10 },
        $push: { tags: { $each: ['b', 'c'] } } as never,
        $min: { lo: 2 },
        $max: { hi: 9 },
        $rename: { old: 'renamed' },
        $unset: { gone: '' },
        $currentDate: { touched: true },
      });
      expect(one.matchedCount).toBe(1);
      expect(one.modifiedCount).toBe(1);
      const doc = await c.findOne({ _id: 1 } as never);
      expect(doc).toMatchObject({ _id: 1, n: 11, tags: ['a', 'b', 'c'], lo: 2, hi: 9, renamed: 'x', sub: { deep: 'y' } });
      expect(doc).not.toHaveProperty('gone');
      expect(doc).not.toHaveProperty('old');
      expect(doc!.touched).toBeInstanceOf(Date);

      const pulled = await c.updateOne({ _id: 1 } as never, { $pull: { tags: 'b' } } as never);
      expect(pulled.modifiedCount).toBe(1);
      const added = await c.updateOne({ _id: 1 } as never, { $addToSet: { tags: { $each: ['a', 'z'] } } } as never);
      expect(added.modifiedCount).toBe(1);
      expect((await c.findOne({ _id: 1 } as never))!.tags).toEqual(['a', 'c', 'z']);
      // Two operators on one path conflict (ConflictingUpdateOperators, 40).
      await expectServerError(c.updateOne({ _id: 1 } as never, { $pull: { tags: 'a' }, $push: { tags: 'q' } } as never), 40);

      const many = await c.updateMany({ n: { $lt: 5 } }, { $set: { small: true } });
      expect(many.matchedCount).toBe(2);
      expect(many.modifiedCount).toBe(2);
      // Setting the same value again matches but modifies nothing.
      const again = await c.updateMany({ n: { $lt: 5 } }, { $set: { small: true } });
      expect(again.matchedCount).toBe(2);
      expect(again.modifiedCount).toBe(0);
      expect(await c.countDocuments({ small: true })).toBe(2);
      const none = await c.updateOne({ _id: 99 } as never, { $set: { x: 1 } });
      expect(none.matchedCount).toBe(0);
      expect(none.upsertedId).toBeNull();
    });

    test('upsert seeds the new document from the query and $setOnInsert', async () => {
      const c = freshDb().collection('u');
      const first = await c.updateOne({ key: 'k1', 'meta.kind': 'job' }, { $inc: { count: 1 }, $setOnInsert: { createdBy: 'test' } }, { upsert: true });
      expect(first.upsertedCount).toBe(1);
      expect(first.upsertedId).toBeInstanceOf(ObjectId);
      const doc = await c.findOne({ _id: first.upsertedId! });
      expect(doc).toEqual({ _id: first.upsertedId, key: 'k1', meta: { kind: 'job' }, count: 1, createdBy: 'test' });
      const second = await c.updateOne({ key: 'k1', 'meta.kind': 'job' }, { $inc: { count: 1 }, $setOnInsert: { createdBy: 'other' } }, { upsert: true });
      expect(second.upsertedCount).toBe(0);
      expect(second.matchedCount).toBe(1);
      expect(await c.findOne({ key: 'k1' }, { projection: { _id: 0 } })).toEqual({ key: 'k1', meta: { kind: 'job' }, count: 2, createdBy: 'test' });
      const withId = await c.updateOne({ _id: 'given' } as never, { $set: { v: 1 } }, { upsert: true });
      expect(withId.upsertedId).toBe('given');
    });

    test('replaceOne keeps _id and replaces every other field', async () => {
      const c = freshDb().collection('r');
      await c.insertOne({ _id: 1, a: 1, b: 2 } as never);
      const res = await c.replaceOne({ _id: 1 } as never, { c: 3 });
      expect(res.modifiedCount).toBe(1);
      expect(await c.findOne({ _id: 1 } as never)).toEqual({ _id: 1, c: 3 });
      const up = await c.replaceOne({ name: 'new' }, { name: 'new', v: 2 }, { upsert: true });
      expect(up.upsertedCount).toBe(1);
      expect(await c.findOne({ name: 'new' }, { projection: { _id: 0 } })).toEqual({ name: 'new', v: 2 });
    });

    test('positional, arrayFilters and pipeline updates', async () => {
      const c = freshDb().collection('p');
      await c.insertOne({ _id: 1, items: [{ k: 'a', n: 1 }, { k: 'b', n: 2 }, { k: 'c', n: 3 }], base: 10 } as never);
      await c.updateOne({ _id: 1, 'items.k': 'b' } as never, { $inc: { 'items.$.n': 100 } } as never);
      await c.updateOne({ _id: 1 } as never, { $set: { 'items.$[big].big': true } } as never, { arrayFilters: [{ 'big.n': { $gte: 3 } }] });
      await c.updateOne({ _id: 1 } as never, [{ $set: { total: { $add: ['$base', { $size: '$items' }] } } }]);
      expect(await c.findOne({ _id: 1 } as never)).toEqual({
        _id: 1,
        items: [
          { k: 'a', n: 1 },
          { k: 'b', n: 102, big: true },
          { k: 'c', n: 3, big: true },
        ],
        base: 10,
        total: 13,
      });
    });

    test('values written by update operators keep their BSON types', async () => {
      const c = freshDb().collection('t');
      await c.insertOne({ _id: 1, list: [] } as never);
      const ref = new ObjectId();
      await c.updateOne({ _id: 1 } as never, {
        $set: { ref, when: new Date(5), dec: Decimal128.fromString('2.5'), nested: { ref } },
        $push: { list: ref },
      } as never);
      const doc = await c.findOne({ _id: 1 } as never);
      expect(doc!.ref).toBeInstanceOf(ObjectId);
      expect((doc!.ref as ObjectId).equals(ref)).toBe(true);
      expect((doc!.nested as { ref: ObjectId }).ref.equals(ref)).toBe(true);
      expect((doc!.list as ObjectId[])[0]!.equals(ref)).toBe(true);
      expect(doc!.when).toEqual(new Date(5));
      expect(doc!.dec).toBeInstanceOf(Decimal128);
      expect(await c.countDocuments({ ref })).toBe(1);
      expect(await c.countDocuments({ when: { $gt: new Date(4), $lt: new Date(6) } })).toBe(1);
    });

    test('changing _id is refused with ImmutableField (66)', async () => {
      const c = freshDb().collection('r');
      await c.insertOne({ _id: 1, a: 1 } as never);
      await expectServerError(c.updateOne({ _id: 1 } as never, { $set: { _id: 2 } } as never), 66);
      expect(await c.findOne({ _id: 1 } as never)).toEqual({ _id: 1, a: 1 });
    });
  });

  describe('delete', () => {
    test('deleteOne and deleteMany report what they removed', async () => {
      const c = freshDb().collection('d');
      await c.insertMany([{ k: 'a' }, { k: 'a' }, { k: 'a' }, { k: 'b' }]);
      expect((await c.deleteOne({ k: 'a' })).deletedCount).toBe(1);
      expect((await c.deleteMany({ k: 'a' })).deletedCount).toBe(2);
      expect((await c.deleteMany({ k: 'zzz' })).deletedCount).toBe(0);
      expect(await c.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ k: 'b' }]);
    });
  });

  describe('findAndModify', () => {
    test('findOneAndUpdate returns the document before or after', async () => {
      const c = freshDb().collection('f');
      await c.insertMany([
        { _id: 1, state: 'queued', prio: 1 },
        { _id: 2, state: 'queued', prio: 5 },
      ] as never);
      // Claim the highest priority queued job: the classic queue pattern.
      const before = await c.findOneAndUpdate({ state: 'queued' }, { $set: { state: 'running' } }, { sort: { prio: -1 }, returnDocument: 'before' });
      expect(before).toEqual({ _id: 2, state: 'queued', prio: 5 });
      const after = await c.findOneAndUpdate({ state: 'queued' }, { $set: { state: 'running' } }, { returnDocument: 'after', projection: { state: 1 } });
      expect(after).toEqual({ _id: 1, state: 'running' });
      expect(await c.findOneAndUpdate({ state: 'queued' }, { $set: { state: 'x' } })).toBeNull();
      const meta = await c.findOneAndUpdate({ _id: 1 } as never, { $inc: { prio: 1 } }, { includeResultMetadata: true, returnDocument: 'after' });
      expect(meta.ok).toBe(1);
      expect(meta.value).toEqual({ _id: 1, state: 'running', prio: 2 });
      expect(meta.lastErrorObject).toMatchObject({ n: 1, updatedExisting: true });
    });

    test('findOneAndUpdate with upsert inserts and returns the new document', async () => {
      const c = freshDb().collection('f');
      const doc = await c.findOneAndUpdate({ name: 'seq' }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' });
      expect(doc).toMatchObject({ name: 'seq', value: 1 });
      expect(doc!._id).toBeInstanceOf(ObjectId);
      const next = await c.findOneAndUpdate({ name: 'seq' }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' });
      expect(next!.value).toBe(2);
      const before = await c.findOneAndUpdate({ name: 'other' }, { $set: { v: 1 } }, { upsert: true, returnDocument: 'before' });
      expect(before).toBeNull();
      expect(await c.countDocuments()).toBe(2);
    });

    test('findOneAndDelete and findOneAndReplace', async () => {
      const c = freshDb().collection('f');
      await c.insertMany([
        { _id: 1, t: 3 },
        { _id: 2, t: 1 },
        { _id: 3, t: 2 },
      ] as never);
      expect(await c.findOneAndDelete({}, { sort: { t: 1 } })).toEqual({ _id: 2, t: 1 });
      expect(await c.findOneAndDelete({ _id: 42 } as never)).toBeNull();
      expect(await c.findOneAndReplace({ _id: 3 } as never, { t: 30 }, { returnDocument: 'after' })).toEqual({ _id: 3, t: 30 });
      expect(await c.find().sort({ _id: 1 }).toArray()).toEqual([
        { _id: 1, t: 3 },
        { _id: 3, t: 30 },
      ]);
    });
  });

  describe('aggregate, count, distinct', () => {
    test('$match, $group, $sort, $project, $unwind and $count', async () => {
      const c = freshDb().collection('runs');
      await c.insertMany([
        { lang: 'py', ms: 10, tags: ['a', 'b'] },
        { lang: 'py', ms: 30, tags: ['a'] },
        { lang: 'js', ms: 5, tags: [] },
        { lang: 'go', ms: 7, tags: ['b'] },
      ]);
      const grouped = await c
        .aggregate([
          { $match: { ms: { $gte: 6 } } },
          { $group: { _id: '$lang', total: { $sum: '$ms' }, runs: { $sum: 1 } } },
          { $sort: { total: -1 } },
        ])
        .toArray();
      expect(grouped).toEqual([
        { _id: 'py', total: 40, runs: 2 },
        { _id: 'go', total: 7, runs: 1 },
      ]);
      const tags = await c
        .aggregate([{ $unwind: '$tags' }, { $group: { _id: '$tags', n: { $sum: 1 } } }, { $sort: { _id: 1 } }, { $project: { _id: 0, tag: '$_id', n: 1 } }])
        .toArray();
      expect(tags).toEqual([
        { n: 2, tag: 'a' },
        { n: 2, tag: 'b' },
      ]);
      expect(await c.aggregate([{ $match: { lang: 'py' } }, { $count: 'n' }]).toArray()).toEqual([{ n: 2 }]);
    });

    test('$lookup joins another collection of the same database', async () => {
      const db = freshDb();
      await db.collection('users').insertMany([
        { _id: 'u1', name: 'ada' },
        { _id: 'u2', name: 'bob' },
      ] as never);
      await db.collection('jobs').insertMany([
        { _id: 'j1', owner: 'u1' },
        { _id: 'j2', owner: 'u2' },
        { _id: 'j3', owner: 'u1' },
      ] as never);
      const joined = await db
        .collection('jobs')
        .aggregate([
          { $lookup: { from: 'users', localField: 'owner', foreignField: '_id', as: 'user' } },
          { $unwind: '$user' },
          { $project: { _id: 1, name: '$user.name' } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(joined).toEqual([
        { _id: 'j1', name: 'ada' },
        { _id: 'j2', name: 'bob' },
        { _id: 'j3', name: 'ada' },
      ]);
    });

    test('aggregate results over 101 documents use getMore too', async () => {
      const c = freshDb().collection('many');
      await c.insertMany(Array.from({ length: 150 }, (_, i) => ({ i })));
      const out = await c.aggregate([{ $sort: { i: -1 } }, { $project: { _id: 0, i: 1 } }]).toArray();
      expect(out).toHaveLength(150);
      expect(out[0]).toEqual({ i: 149 });
      expect(out[149]).toEqual({ i: 0 });
    });

    test('countDocuments, estimatedDocumentCount and distinct', async () => {
      const c = freshDb().collection('c');
      await c.insertMany([
        { k: 'a', tags: ['x', 'y'], n: 1 },
        { k: 'b', tags: ['y'], n: 2 },
        { k: 'a', tags: ['z'], n: 3 },
        { k: 'c', n: 4 },
      ]);
      expect(await c.countDocuments()).toBe(4);
      expect(await c.countDocuments({ k: 'a' })).toBe(2);
      expect(await c.countDocuments({}, { skip: 1, limit: 2 })).toBe(2);
      expect(await c.estimatedDocumentCount()).toBe(4);
      expect(await freshDb().collection('empty').countDocuments()).toBe(0);
      expect((await c.distinct('k')).sort()).toEqual(['a', 'b', 'c']);
      expect((await c.distinct('k', { n: { $gt: 1 } })).sort()).toEqual(['a', 'b', 'c']);
      expect((await c.distinct('k', { n: { $lt: 3 } })).sort()).toEqual(['a', 'b']);
      // Array fields contribute their elements.
      expect((await c.distinct('tags')).sort()).toEqual(['x', 'y', 'z']);
    });
  });

  describe('indexes', () => {
    test('a unique index rejects duplicates on insert, update and upsert', async () => {
      const c = freshDb().collection('users');
      const name = await c.createIndex({ email: 1 }, { unique: true });
      expect(name).toBe('email_1');
      await c.insertOne({ email: 'a@x.io' });
      await c.insertOne({ email: 'b@x.io' });
      const insertErr = await expectServerError(c.insertOne({ email: 'a@x.io' }), 11000);
      expect(insertErr.message).toContain('index: email_1 dup key: { email: "a@x.io" }');
      expect(insertErr.keyValue).toEqual({ email: 'a@x.io' });
      await expectServerError(c.updateOne({ email: 'b@x.io' }, { $set: { email: 'a@x.io' } }), 11000);
      await expectServerError(c.updateOne({ email: 'new@x.io', other: 1 }, { $set: { email: 'a@x.io' } }, { upsert: true }), 11000);
      await expectServerError(c.findOneAndUpdate({ email: 'b@x.io' }, { $set: { email: 'a@x.io' } }), 11000);
      // The failed update left the document alone; a harmless update still works.
      expect(await c.countDocuments({ email: 'b@x.io' })).toBe(1);
      expect((await c.updateOne({ email: 'b@x.io' }, { $set: { email: 'c@x.io' } })).modifiedCount).toBe(1);
      await c.insertOne({ email: 'b@x.io' });
      expect(await c.countDocuments()).toBe(3);
    });

    test('compound unique indexes compare the whole key', async () => {
      const c = freshDb().collection('pairs');
      expect(await c.createIndex({ owner: 1, slot: -1 }, { unique: true })).toBe('owner_1_slot_-1');
      await c.insertMany([
        { owner: 'a', slot: 1 },
        { owner: 'a', slot: 2 },
        { owner: 'b', slot: 1 },
      ]);
      const err = await expectServerError(c.insertOne({ owner: 'a', slot: 2 }), 11000);
      expect(err.message).toContain('dup key: { owner: "a", slot: 2 }');
      expect(await c.countDocuments()).toBe(3);
    });

    test('a partial unique index only covers matching documents', async () => {
      const c = freshDb().collection('p');
      await c.createIndex({ key: 1 }, { unique: true, partialFilterExpression: { active: true } });
      await c.insertMany([
        { key: 'k', active: false },
        { key: 'k', active: false },
        { key: 'k', active: true },
      ]);
      await expectServerError(c.insertOne({ key: 'k', active: true }), 11000);
    });

    test('unique keys tell types apart, and a missing field is null', async () => {
      const c = freshDb().collection('k');
      await c.createIndex({ v: 1 }, { unique: true });
      const id = new ObjectId();
      const values = [1, '1', 'a', 'a:', true, 'true', null, id, id.toHexString(), new Date(1), 1.5, { n: 1 }, 's1:a'];
      await c.insertMany(values.map((v) => ({ v })));
      for (const v of [1.0, '1', true, null, id, new Date(1), { n: 1 }]) await expectServerError(c.insertOne({ v }), 11000);
      // No `v` at all indexes as null, which is taken.
      await expectServerError(c.insertOne({ other: 1 }), 11000);
      const pairs = freshDb().collection('pairs');
      await pairs.createIndex({ a: 1, b: 1 }, { unique: true });
      // Tuples whose parts would run together if simply concatenated are still different keys.
      await pairs.insertMany([
        { a: 'x', b: 'yz' },
        { a: 'xy', b: 'z' },
        { a: 'x' },
      ]);
      await expectServerError(pairs.insertOne({ a: 'x', b: null }), 11000);
      expect(await pairs.countDocuments()).toBe(3);
    });

    test('creating a unique index over duplicates fails and is not created', async () => {
      const c = freshDb().collection('dups');
      await c.insertMany([{ v: 1 }, { v: 1 }]);
      await expectServerError(c.createIndex({ v: 1 }, { unique: true }), 11000);
      const names = (await c.listIndexes().toArray()).map((ix) => ix.name);
      expect(names).toEqual(['_id_']);
    });

    test('listIndexes and dropIndex', async () => {
      const c = freshDb().collection('ix');
      await c.createIndex({ a: 1 });
      await c.createIndex({ b: -1, c: 1 }, { unique: true, name: 'b_c' });
      // Creating the same index again is a no-op.
      expect(await c.createIndex({ a: 1 })).toBe('a_1');
      const indexes = await c.listIndexes().toArray();
      expect(indexes.map((ix) => ({ name: ix.name, key: ix.key, unique: ix.unique ?? false }))).toEqual([
        { name: '_id_', key: { _id: 1 }, unique: false },
        { name: 'a_1', key: { a: 1 }, unique: false },
        { name: 'b_c', key: { b: -1, c: 1 }, unique: true },
      ]);
      expect(await c.indexExists('b_c')).toBe(true);
      await c.dropIndex('b_c');
      expect((await c.listIndexes().toArray()).map((ix) => ix.name)).toEqual(['_id_', 'a_1']);
      await expectServerError(c.dropIndex('nope'), 27);
      // With the index gone, duplicates are fine again.
      await c.insertMany([
        { b: 1, c: 1 },
        { b: 1, c: 1 },
      ]);
      expect(await c.countDocuments()).toBe(2);
    });
  });

  describe('queries on indexed fields', () => {
    /** `_id`s a query returns, in the order returned (natural order unless sorted). */
    const ids = (cursor: { map<T>(f: (d: { _id: unknown }) => T): { toArray(): Promise<T[]> } }) => cursor.map((d) => d._id).toArray();

    test('a document is found by the current value of an indexed field only', async () => {
      const c = freshDb().collection<{ _id: string; status: string; n?: number }>('jobs');
      await c.createIndex({ status: 1 });
      await c.insertMany(['a', 'b', 'c', 'd', 'e'].map((_id) => ({ _id, status: 'queued' })));
      await c.updateOne({ _id: 'b' }, { $set: { status: 'running' } });
      await c.replaceOne({ _id: 'c' }, { status: 'failed', n: 1 });
      expect(await c.findOneAndUpdate({ _id: 'd', status: 'queued' }, { $set: { status: 'running' } })).toMatchObject({ _id: 'd' });
      await c.deleteOne({ _id: 'e' });
      expect(await ids(c.find({ status: 'queued' }))).toEqual(['a']);
      expect(await ids(c.find({ status: 'running' }))).toEqual(['b', 'd']);
      expect(await ids(c.find({ status: 'failed' }))).toEqual(['c']);
      expect(await c.countDocuments({ status: { $in: ['queued', 'running', 'failed'] } })).toBe(4);
      // Back to an old value: found again, and in natural order (an update keeps a document's place).
      await c.updateMany({ status: 'running' }, { $set: { status: 'queued' } });
      expect(await ids(c.find({ status: 'queued' }))).toEqual(['a', 'b', 'd']);
      expect(await c.countDocuments({ status: 'running' })).toBe(0);
      await c.deleteMany({ status: 'queued' });
      expect(await ids(c.find({ status: { $in: ['queued', 'failed'] } }))).toEqual(['c']);
      await c.insertOne({ _id: 'f', status: 'queued' });
      expect(await ids(c.find({ status: 'queued' }))).toEqual(['f']);
    });

    test('arrays, missing fields and null in an indexed field', async () => {
      const c = freshDb().collection<{ _id: number; tags?: unknown }>('tagged');
      await c.createIndex({ tags: 1 });
      await c.insertMany([
        { _id: 1, tags: ['a', 'b'] },
        { _id: 2, tags: 'a' },
        { _id: 3, tags: [['a']] },
        { _id: 4, tags: [] },
        { _id: 5 },
        { _id: 6, tags: null },
        { _id: 7, tags: ['b', null] },
        { _id: 8, tags: { a: 1 } },
      ]);
      expect(await ids(c.find({ tags: 'a' }).sort({ _id: 1 }))).toEqual([1, 2]);
      expect(await ids(c.find({ tags: { $in: ['b', 'zzz'] } }).sort({ _id: 1 }))).toEqual([1, 7]);
      expect(await ids(c.find({ tags: { $eq: 'b' } }).sort({ _id: 1 }))).toEqual([1, 7]);
      // null matches a missing field and null elements; an array value matches an equal array or an element.
      expect(await ids(c.find({ tags: null }).sort({ _id: 1 }))).toEqual([5, 6, 7]);
      expect(await ids(c.find({ tags: { $in: [null, 'a'] } }).sort({ _id: 1 }))).toEqual([1, 2, 5, 6, 7]);
      expect(await ids(c.find({ tags: ['a'] }).sort({ _id: 1 }))).toEqual([3]);
      expect(await ids(c.find({ tags: ['a', 'b'] }).sort({ _id: 1 }))).toEqual([1]);
      expect(await ids(c.find({ tags: [] }).sort({ _id: 1 }))).toEqual([4]);
      expect(await ids(c.find({ tags: { a: 1 } }))).toEqual([8]);
      // An element removed from an array no longer finds its document.
      await c.updateOne({ _id: 1 }, { $pull: { tags: 'a' } } as never);
      expect(await ids(c.find({ tags: 'a' }))).toEqual([2]);
      await c.updateOne({ _id: 4 }, { $push: { tags: 'a' } } as never);
      expect(await ids(c.find({ tags: 'a' }).sort({ _id: 1 }))).toEqual([2, 4]);
    });

    test('numbers of different BSON types, Dates and ObjectIds in an indexed field', async () => {
      const c = freshDb().collection<{ _id: number; v: unknown }>('typed');
      await c.createIndex({ v: 1 });
      const ref = new ObjectId();
      await c.insertMany([
        { _id: 1, v: new Int32(1) },
        { _id: 2, v: new Double(1) },
        { _id: 3, v: Long.fromNumber(1) },
        { _id: 4, v: '1' },
        { _id: 5, v: 1.5 },
        { _id: 6, v: true },
        { _id: 7, v: new Date(1) },
        { _id: 8, v: ref },
        { _id: 9, v: ref.toHexString() },
        { _id: 10, v: 0 },
        { _id: 11, v: [2, new Date(2)] },
      ]);
      for (const one of [1, new Int32(1), new Double(1), Long.fromNumber(1)]) {
        expect(await ids(c.find({ v: one }).sort({ _id: 1 }))).toEqual([1, 2, 3]);
      }
      expect(await ids(c.find({ v: { $in: [Long.fromNumber(1), '1'] } }).sort({ _id: 1 }))).toEqual([1, 2, 3, 4]);
      expect(await ids(c.find({ v: '1' }))).toEqual([4]);
      expect(await ids(c.find({ v: 1.5 }))).toEqual([5]);
      expect(await ids(c.find({ v: true }))).toEqual([6]);
      expect(await ids(c.find({ v: new Date(1) }))).toEqual([7]);
      expect(await ids(c.find({ v: new Date(2) }))).toEqual([11]);
      expect(await ids(c.find({ v: 2 }))).toEqual([11]);
      expect(await ids(c.find({ v: ref }))).toEqual([8]);
      expect(await ids(c.find({ v: new ObjectId(ref.toHexString()) }))).toEqual([8]);
      expect(await ids(c.find({ v: ref.toHexString() }))).toEqual([9]);
      expect(await ids(c.find({ v: -0 }))).toEqual([10]);
    });

    test('the leading field of a compound index, with further conditions', async () => {
      const c = freshDb().collection<{ _id: string; owner: string; status: string; n: number }>('runs');
      await c.createIndex({ owner: 1, status: 1 }, { name: 'owner_status' });
      await c.createIndex({ status: 1, n: 1 });
      const statuses = ['queued', 'running', 'succeeded'];
      await c.insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: `r${String(i).padStart(2, '0')}`, owner: `o${i % 3}`, status: statuses[i % 4 === 0 ? 0 : i % 3]!, n: i })));
      const all = await c.find().toArray();
      const expected = (f: (d: (typeof all)[number]) => boolean) => all.filter(f).map((d) => d._id);
      expect(await c.countDocuments({ owner: 'o1', status: { $in: ['queued', 'running'] } })).toBe(expected((d) => d.owner === 'o1' && ['queued', 'running'].includes(d.status)).length);
      expect(await ids(c.find({ owner: 'o2' }).sort({ _id: 1 }))).toEqual(expected((d) => d.owner === 'o2'));
      expect(await ids(c.find({ owner: 'o2', n: { $gt: 10 } }).sort({ _id: 1 }))).toEqual(expected((d) => d.owner === 'o2' && d.n > 10));
      expect(await ids(c.find({ status: 'queued', owner: { $ne: 'o0' } }).sort({ _id: 1 }))).toEqual(expected((d) => d.status === 'queued' && d.owner !== 'o0'));
      expect(await ids(c.find({ owner: 'o0', $or: [{ n: 3 }, { n: 6 }, { n: 7 }] }).sort({ _id: 1 }))).toEqual(['r03', 'r06']);
      expect(await ids(c.find({ owner: { $in: [] } }))).toEqual([]);
      expect(await ids(c.find({ owner: 'nobody', status: 'queued' }))).toEqual([]);
      // Not the leading field of owner_status, nor an operator a lookup answers: still right.
      expect(await ids(c.find({ owner: { $gt: 'o1' } }).sort({ _id: 1 }))).toEqual(expected((d) => d.owner > 'o1'));
      expect(await ids(c.find({ n: 4 }))).toEqual(['r04']);
      const agg = await c.aggregate([{ $match: { owner: 'o1' } }, { $group: { _id: '$status', k: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
      expect(agg).toEqual(
        [...new Set(all.filter((d) => d.owner === 'o1').map((d) => d.status))].sort().map((s) => ({ _id: s, k: all.filter((d) => d.owner === 'o1' && d.status === s).length })),
      );
    });

    test('_id with other conditions: the _id finds the document, the others still decide', async () => {
      const c = freshDb().collection<{ _id: string; status: string; owner: string }>('claims');
      await c.createIndex({ owner: 1 });
      await c.insertMany([
        { _id: 'j1', status: 'running', owner: 'a' },
        { _id: 'j2', status: 'queued', owner: 'a' },
        { _id: 'j3', status: 'queued', owner: 'b' },
      ]);
      expect(await c.findOneAndUpdate({ _id: 'j1', status: { $in: ['queued'] } }, { $set: { status: 'running' } })).toBeNull();
      expect((await c.updateOne({ _id: 'j1', status: 'queued' }, { $set: { status: 'done' } })).matchedCount).toBe(0);
      expect((await c.deleteOne({ _id: 'j3', owner: 'a' })).deletedCount).toBe(0);
      expect(await c.countDocuments({ _id: 'j2', owner: 'b' })).toBe(0);
      expect(await c.findOneAndUpdate({ _id: 'j2', status: { $in: ['queued', 'running'] } }, { $set: { status: 'running' } }, { returnDocument: 'after' })).toEqual({ _id: 'j2', status: 'running', owner: 'a' });
      expect((await c.updateOne({ _id: 'j2', status: 'running', owner: 'a' }, { $set: { status: 'done' } })).modifiedCount).toBe(1);
      expect(await ids(c.find({ _id: { $in: ['j3', 'nope', 'j1'] } }).sort({ _id: 1 }))).toEqual(['j1', 'j3']);
      expect(await ids(c.find({ _id: { $in: ['j1', 'j3'] }, owner: 'b' }))).toEqual(['j3']);
      expect(await c.findOne({ _id: 'nope', owner: 'a' })).toBeNull();
      expect(await c.find({ _id: 'j2' }).toArray()).toEqual([{ _id: 'j2', status: 'done', owner: 'a' }]);
    });

    test('after dropIndex, and after the index is created again over changed documents', async () => {
      const c = freshDb().collection<{ _id: number; v: string }>('dropped');
      await c.createIndex({ v: 1 }, { name: 'v' });
      await c.insertMany([1, 2, 3].map((_id) => ({ _id, v: 'x' })));
      expect(await c.countDocuments({ v: 'x' })).toBe(3);
      await c.dropIndex('v');
      await c.updateOne({ _id: 1 }, { $set: { v: 'y' } });
      expect(await ids(c.find({ v: 'x' }))).toEqual([2, 3]);
      await c.createIndex({ v: 1 }, { name: 'v' });
      await c.updateOne({ _id: 2 }, { $set: { v: 'y' } });
      expect(await ids(c.find({ v: 'y' }))).toEqual([1, 2]);
      expect(await ids(c.find({ v: 'x' }))).toEqual([3]);
      await c.rename('moved');
      const moved = c.db.collection<{ _id: number; v: string }>('moved');
      await moved.deleteOne({ _id: 1 });
      expect(await ids(moved.find({ v: 'y' }))).toEqual([2]);
    });
  });

  describe('collections and databases', () => {
    test('listCollections, drop and dropDatabase', async () => {
      const db = freshDb();
      await db.createCollection('explicit');
      await db.collection('implicit').insertOne({ x: 1 });
      const names = (await db.listCollections().toArray()).map((c) => c.name).sort();
      expect(names).toEqual(['explicit', 'implicit']);
      expect((await db.listCollections({ name: 'explicit' }, { nameOnly: true }).toArray()).map((c) => c.name)).toEqual(['explicit']);
      await expectServerError(db.createCollection('explicit'), 48);

      expect(await db.collection('explicit').drop()).toBe(true);
      expect((await db.listCollections().toArray()).map((c) => c.name)).toEqual(['implicit']);

      const before = await client.db('admin').admin().listDatabases();
      expect(before.databases.map((d) => d.name)).toContain(db.databaseName);
      expect(await db.dropDatabase()).toBe(true);
      const after = await client.db('admin').admin().listDatabases();
      expect(after.databases.map((d) => d.name)).not.toContain(db.databaseName);
      expect(await db.collection('implicit').countDocuments()).toBe(0);
    });

    test('renameCollection keeps documents and indexes', async () => {
      const db = freshDb();
      const c = db.collection('before');
      await c.createIndex({ u: 1 }, { unique: true });
      await c.insertMany([{ u: 1 }, { u: 2 }]);
      const renamed = await c.rename('after');
      expect(await renamed.countDocuments()).toBe(2);
      expect((await renamed.listIndexes().toArray()).map((ix) => ix.name)).toEqual(['_id_', 'u_1']);
      await expectServerError(renamed.insertOne({ u: 1 }), 11000);
      expect((await db.listCollections().toArray()).map((x) => x.name)).toEqual(['after']);
    });
  });
});
