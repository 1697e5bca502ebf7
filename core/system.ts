import { Redis } from 'ioredis';
import type { ApiHandle } from '../api';
import { startApi } from '../api';
import { TokenVerifier } from '../api/auth';
import { createMetrics } from '../api/metrics';
import { startWorker, type WorkerHandle } from '../workers';
import { pingDocker } from '../sandbox';
import { Closer } from './closer';
import type { Config } from './config';
import { EventLog } from './events';
import { startLocalRedis } from './local-redis';
import type { Logger } from './logger';
import { startMongoStandin } from './mongo-standin';
import { createLlm } from './llm';
import { openQueues } from './queues';
import { openStore } from './store';

export interface System {
  api?: ApiHandle;
  worker?: WorkerHandle;
  redisUrl: string;
  mongoUrl: string;
  /** Ordered, idempotent shutdown of everything this process started. */
  close(): Promise<void>;
}

/**
 * The composition root: builds every dependency once, in order, and registers its
 * release right away, so a start that fails halfway still releases what it opened.
 */
export async function startSystem(config: Config, log: Logger): Promise<System> {
  const closer = new Closer(log.child({ component: 'shutdown' }));
  try {
    let redisUrl = config.REDIS_URL;
    if (!redisUrl) {
      const local = await startLocalRedis();
      closer.add('local redis', () => local.close());
      redisUrl = local.url;
      log.warn({ url: redisUrl }, 'REDIS_URL is unset: started a private redis-server for this process');
    }
    let mongoUrl = config.MONGO_URL;
    if (!mongoUrl) {
      const standin = await startMongoStandin();
      closer.add('mongo stand-in', () => standin.close());
      mongoUrl = standin.url;
      log.warn(
        { url: mongoUrl },
        'MONGO_URL is unset: using the IN-MEMORY MongoDB stand-in. Data is lost on exit. NOT FOR PRODUCTION. ' +
          'Other processes can share it by setting MONGO_URL to this url.',
      );
    }

    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true });
    await redis.connect();
    closer.add('redis', async () => void (await redis.quit()));

    const store = await openStore(mongoUrl, config.MONGO_DB);
    closer.add('mongo', () => store.close());

    const events = new EventLog(redis, store.events, config.QUEUE_PREFIX, config.EVENTS_LIVE_TTL_S);
    const cancelChannel = `${config.QUEUE_PREFIX}:cancel`;
    const system: System = { redisUrl, mongoUrl, close: () => closer.close() };
    const llm = createLlm({ config: config.llm, redis, log: log.child({ component: 'llm' }), prefix: config.QUEUE_PREFIX });
    closer.add('llm', () => llm.close());
    const queues = openQueues(redis.duplicate({ maxRetriesPerRequest: null }), config.QUEUE_PREFIX, config.JOB_ATTEMPTS);
    closer.add('queues', () => queues.close());

    if (config.PADDOCK_ROLE !== 'api') {
      const workerLog = log.child({ component: 'worker' });
      system.worker = await startWorker({ config, log: workerLog, redis, store, events, queues, llm, cancelChannel });
      closer.add('worker', () => system.worker!.close());
    }
    if (config.PADDOCK_ROLE !== 'worker') {
      system.api = await startApi({
        config,
        log: log.child({ component: 'api' }),
        redis,
        store,
        events,
        queues,
        llm,
        verifier: new TokenVerifier({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
        metrics: createMetrics(queues),
        cancelChannel,
        dockerPing: system.worker ? () => pingDocker(config.DOCKER_SOCKET) : undefined,
      });
      closer.add('api', () => system.api!.close());
    }
    return system;
  } catch (err) {
    await closer.close();
    throw err;
  }
}
