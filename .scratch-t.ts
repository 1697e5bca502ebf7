import { MongoClient } from 'mongodb';
import { startMongoStandin } from './core/mongo-standin';
(async () => {
  const s = await startMongoStandin();
  const c = new MongoClient(s.url, { serverSelectionTimeoutMS: 2000 });
  await c.connect();
  const col = c.db('t').collection('x');
  console.log(await col.insertMany([{a: 1}, {a: 2}]));
  console.log(await col.find({a: {$gt: 1}}).toArray());
  console.log(await col.updateOne({a: 1}, {$inc: {a: 10}}));
  console.log(await col.countDocuments({}), await col.estimatedDocumentCount());
  console.log(await c.db('admin').command({ ping: 1 }));
  await c.close();
  await s.close();
})().catch((e) => { console.error(e); process.exit(1); });
