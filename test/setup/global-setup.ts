import { randomBytes } from 'node:crypto';
import { startLocalRedis } from '../../core/local-redis';

/**
 * One real redis-server for the whole suite (tests isolate themselves with a
 * fresh QUEUE_PREFIX each), unless REDIS_URL points at one already. Docker is
 * real too: scripts/setup.sh (run by `npm test`) makes sure the engine is up.
 * PADDOCK_TEST_RUN prefixes every sandbox scope of this run, so the teardown's
 * leak check never touches another run's containers on the same engine.
 */
export default async function globalSetup(): Promise<void> {
  process.env.PADDOCK_TEST_RUN = randomBytes(3).toString('hex');
  if (!process.env.REDIS_URL) {
    const redis = await startLocalRedis();
    process.env.REDIS_URL = redis.url;
    (globalThis as { __paddockRedis?: { close(): Promise<void> } }).__paddockRedis = redis;
  }
}
