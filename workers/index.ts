import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../core/config';
import type { EventLog } from '../core/events';
import type { Llm } from '../core/llm';
import type { Logger } from '../core/logger';
import { QUEUES, type JobDataMap, type Queues } from '../core/queues';
import type { Store } from '../core/store';
import { Closer } from '../core/closer';
import { createReaper, createSandbox } from '../sandbox';
import { CancelRegistry } from './cancel-registry';
import { createJobWorkers } from './jobs';
import { createEnsureModel } from './ensure-model';
import { requeueOrphans } from './requeue-orphans';
import { processRun, ShutdownAbort } from './run-processor';

export interface WorkerDeps {
  config: Config;
  log: Logger;
  redis: Redis;
  store: Store;
  events: EventLog;
  queues: Queues;
  llm: Llm;
  cancelChannel: string;
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
  const closer = new Closer(log.child({ component: 'worker-close' }));
  const ownerId = `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const ownerKey = (id: string) => `${config.QUEUE_PREFIX}:worker:${id}`;
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
        limits: {
          timeoutMs: config.SANDBOX_MAX_TIMEOUT_MS,
          memoryMb: config.SANDBOX_MAX_MEMORY_MB,
          cpus: config.SANDBOX_MAX_CPUS,
          pids: config.SANDBOX_MAX_PIDS,
          outputBytes: config.SANDBOX_MAX_OUTPUT_BYTES,
        },
        refillConcurrency: config.SANDBOX_POOL_REFILL_CONCURRENCY,
        maxIdleMs: config.SANDBOX_POOL_MAX_IDLE_MS,
      },
      reuse: { idleMs: config.SANDBOX_REUSE_IDLE_MS, maxIdle: config.SANDBOX_REUSE_MAX_IDLE },
      log: log.child({ component: 'sandbox' }),
    });
    closer.add('sandbox', () => sandbox.close());

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

    const requeue = () =>
      requeueOrphans(deps.store.runs, deps.queues, config.ORPHAN_RUN_AGE_MS, log).catch((err) =>
        log.warn({ err }, 'orphan requeue failed'),
      );
    const requeueTimer = setInterval(requeue, config.ORPHAN_RUN_AGE_MS);
    closer.add('orphan requeue', async () => clearInterval(requeueTimer));

    const cancels = await CancelRegistry.listen(redis.duplicate(), deps.cancelChannel, log);
    closer.add('cancel listener', () => cancels.close());

    const ensureModel = createEnsureModel({ config, redis, store: deps.store, events: deps.events, queues: deps.queues, log });
    const processor = async (job: Job<JobDataMap['run']>, token?: string) => {
      const runId = job.data.runId;
      const controller = cancels.register(runId);
      const jobLog = log.child({ runId, jobId: job.id, attempt: job.attemptsMade + 1 });
      try {
        await processRun(runId, {
          log: jobLog,
          signal: controller.signal,
          events: deps.events,
          runs: deps.store.runs,
          sandbox,
          llm: deps.llm,
          artifacts: deps.store.artifacts,
          ensureModel,
          lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
        });
      } catch (err) {
        if (!(err instanceof ShutdownAbort)) throw err;
        // Back to the queue without spending an attempt: the run was not at fault.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      } finally {
        cancels.release(runId, controller);
      }
    };

    const connection = redis.duplicate({ maxRetriesPerRequest: null });
    closer.add('worker redis', async () => void (await connection.quit()));
    const worker = new Worker<JobDataMap['run']>(QUEUES.runs, processor, {
      connection,
      prefix: config.QUEUE_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.WORKER_LOCK_MS,
      stalledInterval: config.WORKER_STALLED_CHECK_MS,
      maxStalledCount: config.JOB_ATTEMPTS,
      autorun: false,
    });
    worker.on('error', (err) => log.error({ err }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (!(err instanceof DelayedError)) log.warn({ err, jobId: job?.id }, 'job attempt failed');
    });
    // Experiments and model pulls: their own queues, the same cancel registry and shutdown.
    const jobWorkers = createJobWorkers(deps, cancels, closer);

    let graceTimer: NodeJS.Timeout | undefined;
    const abort = () => cancels.abortAll('shutdown');
    closer.add('bullmq worker', async () => {
      // Stage 1: stop fetching, let in-flight runs finish; stage 2 at the deadline: kill them.
      graceTimer = setTimeout(abort, config.SHUTDOWN_GRACE_MS);
      try {
        await Promise.all([worker.close(), ...jobWorkers.workers.map((w) => w.close())]);
      } finally {
        clearTimeout(graceTimer);
      }
    });
    void worker.run().catch((err) => log.error({ err }, 'worker stopped'));
    await worker.waitUntilReady();
    await jobWorkers.run();
    log.info({ ownerId, concurrency: config.WORKER_CONCURRENCY }, 'worker ready');
    return { ownerId, close: () => closer.close(), abort };
  } catch (err) {
    await closer.close();
    throw err;
  }
}
