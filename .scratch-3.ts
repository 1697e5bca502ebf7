import { MongoClient } from 'mongodb';
import { startMongoStandin } from './core/mongo-standin';
(async () => {
  const s = await startMongoStandin();
  const c = new MongoClient(s.url);
  const col = c.db('t').collection('x');
  await col.insertOne({ _id: 1, a: 1 } as never);
  await col.updateOne({ _id: 1 } as never, { $set: { _id: 2 } } as never).catch((e) => console.log(e.message));
  await c.close(); await s.close();
})();
