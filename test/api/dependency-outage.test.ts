import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { startTestSystem, type TestSystem } from '../helpers/system';

/** A backing service that goes away is a 503 naming it, never a 500. */
let mongo: MongoStandin;
let t: TestSystem;

beforeAll(async () => {
  mongo = await startMongoStandin();
  t = await startTestSystem({ MONGO_URL: mongo.url, PADDOCK_ROLE: 'api' });
});
afterAll(async () => {
  await t?.close();
  await mongo?.close();
});

it('MongoDB down: reads answer 503 unavailable naming MongoDB', async () => {
  expect((await t.call('GET', '/v1/runs')).status).toBe(200);
  await mongo.close();
  const res = await t.call('GET', '/v1/runs');
  expect(res.status).toBe(503);
  expect(res.body.error).toEqual({ code: 'unavailable', message: 'MongoDB is unavailable; try again' });
}, 30_000);
