import path from 'node:path';
import type { Redis } from 'ioredis';
import type { ApiHandle } from '../api';
import { TailConnections } from '../api/tail-connections';
import { startApi } from '../api';
import { TokenVerifier } from '../api/auth';
import { createMetrics } from '../api/metrics';
import { startWorker, type WorkerHandle } from '../workers';
import { createReaper, pingDocker } from '../sandbox';
import { Closer } from '../core/closer';
import type { Config } from '../core/config';
import { ConfigError } from '../core/errors';
import { EventLog } from '../core/events';
import { startLocalRedis } from '../core/local-redis';
import type { Logger } from '../core/logger';
import { describeStorage, startMongoStandin, StorageInUseError, type StandinStorage } from '../mongo-standin';
import { createLlm } from '../llm';
import { preflight, redactUrl } from '../core/preflight';
import { openQueues } from '../core/queues';
import { SessionRpcClient } from '../core/session-rpc';
import { duplicateRedis, openRedis } from '../core/redis-connect';
import { openStore } from '../core/store';
import { countWorkers } from '../core/worker-liveness';
import { createProcessMetrics } from '../core/metrics';
import { startMetricsServer, type MetricsServer } from '../core/metrics/server';

export interface System {
  api?: ApiHandle;
  worker?: WorkerHandle;
  /** This process's own /metrics listener, when METRICS_PORT is set. */
  metrics?: MetricsServer;
  redisUrl: string;
  mongoUrl: string;
  /** Set when MONGO_URL was unset: where the MongoDB stand-in this process started keeps its data. */
  standin?: StandinStorage;
  /** Ordered, idempotent, bounded shutdown of everything this process started. */
  close(): Promise<void>;
}

/** Bound on every close step but the worker's: one hung resource must not keep the process alive. */
const STEP_TIMEOUT_MS = 5000;
/**
 * The worker's close step gets SHUTDOWN_GRACE_MS (in-flight runs finish) plus
 * this much: runs still going at the deadline are killed and requeued, and
 * their containers removed.
 */
export const WORKER_STOP_MS = 10_000;
/** The longest close() can take beyond SHUTDOWN_GRACE_MS (every step at its bound). scripts/start.ts waits this long. */
export const TEARDOWN_BOUND_MS = WORKER_STOP_MS + 8 * STEP_TIMEOUT_MS;

/**
 * The composition root: builds every dependency once, in order, and registers its
 * release right away, so a start that fails halfway still releases what it opened.
 * Start-up problems a user can fix (a part that does not answer, a port in use)
 * are ConfigErrors naming the variable; see core/preflight.ts.
 */
export async function startSystem(config: Config, log: Logger): Promise<System> {
  await preflight(config);
  const closer = new Closer(log.child({ component: 'shutdown' }), { stepTimeoutMs: STEP_TIMEOUT_MS });
  try {
    let redisUrl = config.REDIS_URL;
    if (!redisUrl) {
      const local = await startLocalRedis().catch((err: unknown) => {
        throw new ConfigError(`REDIS_URL is unset and a private redis-server could not be started: ${firstLine(err)}`);
      });
      closer.add('local redis', () => local.close());
      redisUrl = local.url;
      log.warn({ url: redisUrl }, 'REDIS_URL is unset: started a private redis-server for this process');
    }
    let mongoUrl = config.MONGO_URL;
    let standinStorage: StandinStorage | undefined;
    if (!mongoUrl) {
      const storage: StandinStorage =
        config.MONGO_STANDIN === 'memory' ? { engine: 'memory' } : { engine: 'sqlite', file: path.resolve(config.DATA_DIR, 'mongo', 'paddock.sqlite') };
      const standin = await startMongoStandin({ storage }).catch((err: unknown) => {
        throw standinError(config, err);
      });
      closer.add('mongo stand-in', () => standin.close());
      mongoUrl = standin.url;
      standinStorage = standin.storage;
      log.warn(
        { url: mongoUrl, storage: storage.engine, file: storage.engine === 'sqlite' ? storage.file : undefined },
        `MONGO_URL is unset: using the ${describeStorage(storage)}` +
          (storage.engine === 'memory' ? ' (MONGO_STANDIN=memory). ' : '. ') +
          'A development stand-in: production uses a real MongoDB (set MONGO_URL). ' +
          'Other processes can share this one by setting MONGO_URL to this url.',
      );
    }

    const redis = openRedis(redisUrl, config.REDIS_CLUSTER, { maxRetriesPerRequest: 3, lazyConnect: true });
    logConnectionErrors(redis, log, 'redis');
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw new ConfigError(`REDIS_URL=${redactUrl(redisUrl)}: cannot connect to Redis (${firstLine(err)})`);
    }
    closer.add('redis', async () => void (await redis.quit()));

    const store = await openStore(mongoUrl, config.MONGO_DB).catch((err: unknown) => {
      throw new ConfigError(`MONGO_URL=${redactUrl(mongoUrl)}: cannot open the store (${firstLine(err)})`);
    });
    closer.add('mongo', () => store.close());

    const events = new EventLog(redis, store.events, config.QUEUE_PREFIX, config.EVENTS_LIVE_TTL_S);
    const cancelChannel = `${config.QUEUE_PREFIX}:cancel`;
    const system: System = { redisUrl, mongoUrl, standin: standinStorage, close: () => closer.close() };
    const metrics = createProcessMetrics();
    const llm = createLlm({ config: config.llm, redis, log: log.child({ component: 'llm' }), prefix: config.QUEUE_PREFIX, onCall: metrics.llmCall });
    closer.add('llm', () => llm.close());
    const queueConnection = duplicateRedis(redis, { maxRetriesPerRequest: null });
    logConnectionErrors(queueConnection, log, 'queue redis');
    const queues = openQueues(queueConnection, config.QUEUE_PREFIX, config.JOB_ATTEMPTS, config.WEBHOOK_ATTEMPTS);
    closer.add('queues', () => queues.close());

    if (config.PADDOCK_ROLE !== 'api') {
      const workerLog = log.child({ component: 'worker' });
      // Runs after the worker's own close, also when that did not finish in time
      // (e.g. Redis went away mid-drain): no container of this worker outlives it.
      closer.add('sandbox leftovers', async () => {
        if (system.worker) await removeLeftovers(config, system.worker.ownerId, workerLog);
      });
      system.worker = await startWorker({ config, log: workerLog, redis, store, events, queues, llm, cancelChannel, metrics });
      closer.add('worker', () => system.worker!.close(), { timeoutMs: config.SHUTDOWN_GRACE_MS + WORKER_STOP_MS });
    }
    if (config.PADDOCK_ROLE !== 'worker') {
      const sessions = await SessionRpcClient.open(redis, duplicateRedis(redis, {}), config.QUEUE_PREFIX);
      closer.add('session requests', () => sessions.close());
      const tails = new TailConnections(redis);
      closer.add('event-stream connections', async () => tails.close());
      system.api = await startApi({
        sessions,
        tails,
        config,
        log: log.child({ component: 'api' }),
        redis,
        store,
        events,
        queues,
        llm,
        verifier: new TokenVerifier({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
        metrics: createMetrics(metrics, queues),
        cancelChannel,
        dockerPing: system.worker ? () => pingDocker(config.DOCKER_SOCKET) : undefined,
      }).catch((err: unknown) => {
        throw listenError(config, err);
      });
      closer.add('api', () => system.api!.close());
    }
    if (config.METRICS_PORT !== undefined) {
      const port = config.METRICS_PORT;
      system.metrics = await startMetricsServer(metrics.registry, { host: config.METRICS_HOST, port, token: config.METRICS_TOKEN }).catch((err: unknown) => {
        throw new ConfigError(`METRICS_PORT=${port}: cannot listen on ${config.METRICS_HOST}:${port} (${firstLine(err)})`);
      });
      closer.add('metrics listener', () => system.metrics!.close());
    }
    if (config.PADDOCK_ROLE === 'api') await warnWithoutWorkers(redis, config, log);
    return system;
  } catch (err) {
    await closer.close();
    throw err;
  }
}

/** Removes every sandbox container labelled with this worker as owner (its own close normally leaves none). */
async function removeLeftovers(config: Config, ownerId: string, log: Logger): Promise<void> {
  const reaper = createReaper({
    socketPath: config.DOCKER_SOCKET,
    scope: config.QUEUE_PREFIX,
    // Only this worker counts as gone: other owners' containers are not ours to judge here.
    isOwnerAlive: async (id) => id !== ownerId,
    log: log.child({ component: 'reaper' }),
  });
  const removed = await reaper.sweep();
  if (removed > 0) log.warn({ removed, ownerId }, 'removed sandbox containers the worker left behind');
}

/** An API node alone accepts runs that nobody executes: say so at start-up (GET /ready reports it too). */
async function warnWithoutWorkers(redis: Redis, config: Config, log: Logger): Promise<void> {
  try {
    const { count } = await countWorkers(redis, config.QUEUE_PREFIX);
    if (count === 0) {
      log.warn(
        { queuePrefix: config.QUEUE_PREFIX },
        'no worker is connected (PADDOCK_ROLE=api): runs will wait in the queue until a worker with the same ' +
          'REDIS_URL and QUEUE_PREFIX starts; /ready answers 503 until then',
      );
    }
  } catch (err) {
    log.warn({ err }, 'could not count workers');
  }
}

/** The stand-in's start-up failures, as the setting that causes them. */
function standinError(config: Config, err: unknown): ConfigError {
  if (err instanceof StorageInUseError) {
    return new ConfigError(
      `DATA_DIR=${config.DATA_DIR}: the MongoDB stand-in data ${err.file} is in use by another process` +
        (err.url ? `; set MONGO_URL=${err.url} to share that stand-in` : '; set MONGO_URL to the url it printed to share it') +
        ', or use another DATA_DIR',
    );
  }
  if (config.MONGO_STANDIN === 'memory') return new ConfigError(`MONGO_URL is unset and the in-memory MongoDB stand-in could not be started: ${firstLine(err)}`);
  return new ConfigError(
    `DATA_DIR=${config.DATA_DIR}: the MongoDB stand-in cannot keep its data there (${firstLine(err)}); set DATA_DIR to a writable folder, or MONGO_URL to a real MongoDB`,
  );
}

/** The HTTP listener's start-up failures, as the setting that causes them. */
function listenError(config: Config, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `${config.HOST}:${config.PORT}`;
  if (code === 'EADDRINUSE') return new ConfigError(`PORT=${config.PORT}: ${where} is already in use; set PORT to a free port`);
  if (code === 'EACCES') return new ConfigError(`PORT=${config.PORT}: not allowed to listen on ${where}; use a port above 1023`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConfigError(`HOST=${config.HOST}: cannot listen on this address (${firstLine(err)})`);
  }
  return err;
}

/**
 * ioredis reports every failed reconnect as an 'error' event, and prints each
 * with its stack when nobody listens. Log the first of an outage, once.
 */
function logConnectionErrors(client: Redis, log: Logger, name: string): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ connection: name, error: err.message }, 'lost the connection to Redis; reconnecting');
  });
  client.on('ready', () => {
    if (down) log.info({ connection: name }, 'reconnected to Redis');
    down = false;
  });
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}
