import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../core/config';
import type { EventLog } from '../core/events';
import type { Llm } from '../llm';
import type { Logger } from '../core/logger';
import type { ProcessMetrics } from '../core/metrics';
import { JOB_KINDS } from '../core/jobs/kinds';
import type { Queues } from '../core/queues';
import type { Store } from '../core/store';
import { Closer } from '../core/closer';
import { workerKey } from '../core/worker-liveness';
import { duplicateRedis } from '../core/redis-connect';
import { createReaper, createSandbox } from '../sandbox';
import { CancelRegistry } from './cancel-registry';
import { createEnsureModel } from './ensure-model';
import { experimentHandler } from './experiments';
import { consume, type JobHandler } from './lifecycle';
import { pullHandler } from './pulls';
import { registerSandboxMetrics } from './metrics';
import { reconcileAll } from './reconcile';
import { outputCaps, runHandler } from './runs';
import { probeRuntimes } from './runtimes';
import { startWorkerSessions } from './sessions/start';
import { sessionRunPin } from '../core/jobs/session-runs';
import { startWebhookDelivery } from './webhooks';

export interface WorkerDeps {
  config: Config;
  log: Logger;
  redis: Redis;
  store: Store;
  events: EventLog;
  queues: Queues;
  llm: Llm;
  cancelChannel: string;
  /** The process's figures: the pool gauges and job outcomes go there. */
  metrics?: ProcessMetrics;
}

export interface WorkerHandle {
  ownerId: string;
  /** Two-stage: stop taking jobs and wait up to SHUTDOWN_GRACE_MS, then kill what is left (it is retried). */
  close(): Promise<void>;
  /** Skips the grace period: in-flight runs are killed now and retried elsewhere. */
  abort(): void;
}

/** Starts one worker process role: BullMQ consumer, sandbox, reaper, cancel listener. */
export async function startWorker(deps: WorkerDeps): Promise<WorkerHandle> {
  const { config, log, redis } = deps;
  // Bounded steps: a Redis that died mid-drain must not keep the sandbox (and its containers) from closing.
  const closer = new Closer(log.child({ component: 'worker-close' }), { stepTimeoutMs: 5_000 });
  const ownerId = `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const ownerKey = (id: string) => workerKey(config.QUEUE_PREFIX, id);
  try {
    // Liveness of this worker, for the reapers of every worker on this host.
    await redis.set(ownerKey(ownerId), '1', 'PX', config.WORKER_HEARTBEAT_MS * 3);
    const heartbeat = setInterval(() => {
      redis.set(ownerKey(ownerId), '1', 'PX', config.WORKER_HEARTBEAT_MS * 3).catch((err) => log.warn({ err }, 'heartbeat failed'));
    }, config.WORKER_HEARTBEAT_MS);
    closer.add('heartbeat', async () => {
      clearInterval(heartbeat);
      await redis.del(ownerKey(ownerId));
    });

    const maxLimits = {
      timeoutMs: config.SANDBOX_MAX_TIMEOUT_MS,
      memoryMb: config.SANDBOX_MAX_MEMORY_MB,
      cpus: config.SANDBOX_MAX_CPUS,
      pids: config.SANDBOX_MAX_PIDS,
      outputBytes: config.SANDBOX_MAX_OUTPUT_BYTES,
    };
    const sandbox = createSandbox({
      image: config.SANDBOX_IMAGE,
      socketPath: config.DOCKER_SOCKET,
      ownerId,
      // Reapers judge only containers of their own system: other deployments on this host are left alone.
      scope: config.QUEUE_PREFIX,
      runtime: config.SANDBOX_RUNTIME,
      tmpfsMb: config.SANDBOX_TMPFS_MB,
      pool: {
        size: config.SANDBOX_POOL_SIZE,
        // Pool containers get the maxima; a run asking for less is lowered before it starts.
        limits: maxLimits,
        refillConcurrency: config.SANDBOX_POOL_REFILL_CONCURRENCY,
        maxIdleMs: config.SANDBOX_POOL_MAX_IDLE_MS,
        // auto: following demand, on every runtime (test/sandbox/prestart.test.ts also passes under runsc).
        prestart: config.SANDBOX_POOL_PRESTART === 'auto' ? true : config.SANDBOX_POOL_PRESTART === 'off' ? false : config.SANDBOX_POOL_PRESTART,
        overflowCold: config.SANDBOX_POOL_OVERFLOW_COLD === '1',
      },
      reuse: { idleMs: config.SANDBOX_REUSE_IDLE_MS, maxIdle: config.SANDBOX_REUSE_MAX_IDLE },
      log: log.child({ component: 'sandbox' }),
    });
    closer.add('sandbox', () => sandbox.close());
    if (deps.metrics) registerSandboxMetrics(deps.metrics.registry, sandbox);

    const reaper = createReaper({
      socketPath: config.DOCKER_SOCKET,
      scope: config.QUEUE_PREFIX,
      isOwnerAlive: async (id) => id === ownerId || (await redis.exists(ownerKey(id))) === 1,
      log: log.child({ component: 'reaper' }),
    });
    const sweep = () => reaper.sweep().catch((err) => log.warn({ err }, 'reaper sweep failed'));
    await sweep();
    const reapTimer = setInterval(sweep, config.SANDBOX_REAP_INTERVAL_MS);
    closer.add('reaper', async () => clearInterval(reapTimer));

    const cancels = await CancelRegistry.listen(redis.duplicate(), deps.cancelChannel, log);
    closer.add('cancel listener', () => cancels.close());

    const reconcileDeps = {
      store: deps.store, events: deps.events, queues: deps.queues, log, attempts: config.JOB_ATTEMPTS, metrics: deps.metrics?.jobs,
      pinned: sessionRunPin(deps.store, redis, config.QUEUE_PREFIX),
    };
    const reconcile = () =>
      reconcileAll(Object.values(JOB_KINDS), config.ORPHAN_RUN_AGE_MS, reconcileDeps).catch((err) => log.warn({ err }, 'reconcile sweep failed'));
    const reconcileTimer = setInterval(reconcile, config.ORPHAN_RUN_AGE_MS);
    closer.add('reconciler', async () => clearInterval(reconcileTimer));

    const ensureModel = createEnsureModel({ config, redis, store: deps.store, events: deps.events, queues: deps.queues, log });
    const connection = duplicateRedis(redis, { maxRetriesPerRequest: null });
    closer.add('worker redis', async () => void (await connection.quit()));
    const lifecycle = {
      config, log, store: deps.store, events: deps.events, cancels, queues: deps.queues, connection, reconcile: reconcileDeps, metrics: deps.metrics?.jobs,
    };
    const sessions = await startWorkerSessions({ holderId: ownerId, redis, lifecycle, openSession: (o) => sandbox.openSession(o) }, closer);
    const runs = runHandler({
      events: deps.events, runs: deps.store.runs, sandbox, llm: deps.llm, artifacts: deps.store.artifacts, runFiles: deps.store.runFiles, outputCaps: outputCaps(config), ensureModel, sessions: sessions.holder,
    }, config.WORKER_CONCURRENCY);
    sessions.useRunHandler(runs);
    const handlers = [
      runs,
      sessions.handler,
      experimentHandler({ events: deps.events, experiments: deps.store.experiments, messages: deps.store.messages, llm: deps.llm }, config.EXPERIMENT_CONCURRENCY),
      pullHandler({ events: deps.events, pulls: deps.store.pulls, config }, config.PULL_CONCURRENCY),
    ];
    const workers = [...handlers.map((h) => consume(h as unknown as JobHandler, lifecycle)), startWebhookDelivery({ config, log, store: deps.store, connection })];

    let graceTimer: NodeJS.Timeout | undefined;
    const abort = () => cancels.abortAll('shutdown');
    closer.add('bullmq worker', async () => {
      // Stage 1: stop fetching, let in-flight runs finish; stage 2 at the deadline: kill them.
      graceTimer = setTimeout(abort, config.SHUTDOWN_GRACE_MS);
      try {
        await Promise.all(workers.map((w) => w.close()));
      } finally {
        clearTimeout(graceTimer);
      }
    }, { timeoutMs: config.SHUTDOWN_GRACE_MS + 5_000 });
    // Closed before the BullMQ workers: sessions end at once (`worker_shutdown`), not at the grace deadline.
    closer.add('sessions', () => sessions.endAll());
    for (const w of workers) void w.run().catch((err) => log.error({ err, queue: w.name }, 'worker stopped'));
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    void reconcile(); // a restart after a crash repairs what the crash left at once
    // In the background: GET /v1/languages reports what the image really has; runs need not wait for it.
    const probeStop = new AbortController();
    const probe = probeRuntimes({
      sandbox, redis, prefix: config.QUEUE_PREFIX, image: config.SANDBOX_IMAGE, limits: maxLimits, ownerId, signal: probeStop.signal, log,
    });
    closer.add('runtime probe', async () => {
      probeStop.abort();
      await probe;
    });
    log.info({ ownerId, concurrency: config.WORKER_CONCURRENCY }, 'worker ready');
    return { ownerId, close: () => closer.close(), abort };
  } catch (err) {
    await closer.close();
    throw err;
  }
}
