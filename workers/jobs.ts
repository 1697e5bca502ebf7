import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Closer } from '../core/closer';
import type { Config } from '../core/config';
import type { EventLog } from '../core/events';
import type { Llm } from '../core/llm';
import type { Logger } from '../core/logger';
import { enqueueExperiment, enqueuePull, QUEUES, type Queues } from '../core/queues';
import type { Store } from '../core/store';
import type { CancelRegistry } from './cancel-registry';
import { processExperiment } from './experiment-processor';
import { processPull } from './pull-processor';
import { ShutdownAbort } from './run-processor';

export interface JobWorkerDeps {
  config: Config;
  log: Logger;
  redis: Redis;
  store: Store;
  events: EventLog;
  queues: Queues;
  llm: Llm;
}

export interface JobWorkers {
  /** The experiment and model-pull workers: closed together with the runs worker (same grace period). */
  workers: Worker[];
  /** Starts fetching and resolves once both are connected. */
  run(): Promise<void>;
}

/**
 * BullMQ consumers of the `experiments` and `model-pulls` queues. They share the
 * runs worker's cancel registry (ids are distinct: exp_…, pull_…), so one cancel
 * channel and one shutdown abort reach every job in this process.
 */
export function createJobWorkers(deps: JobWorkerDeps, cancels: CancelRegistry, closer: Closer): JobWorkers {
  const { config, log, store } = deps;
  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null });
  closer.add('job workers redis', async () => void (await connection.quit()));
  const options = (concurrency: number) => ({
    connection,
    prefix: config.QUEUE_PREFIX,
    concurrency,
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_STALLED_CHECK_MS,
    maxStalledCount: config.JOB_ATTEMPTS,
    autorun: false,
  });

  /** The shared wrapper: one AbortSignal per job; shutdown puts the job back without spending an attempt. */
  const wrap = <D>(idOf: (data: D) => string, process: (id: string, signal: AbortSignal, jobLog: Logger, lastAttempt: boolean) => Promise<void>) =>
    async (job: Job<D>, token?: string) => {
      const id = idOf(job.data);
      const controller = cancels.register(id);
      const jobLog = log.child({ id, jobId: job.id, attempt: job.attemptsMade + 1 });
      try {
        await process(id, controller.signal, jobLog, job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
      } catch (err) {
        if (!(err instanceof ShutdownAbort)) throw err;
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      } finally {
        cancels.release(id, controller);
      }
    };

  const experiments = new Worker<{ experimentId: string }>(
    QUEUES.experiments,
    wrap((d: { experimentId: string }) => d.experimentId, (id, signal, jobLog, lastAttempt) =>
      processExperiment(id, {
        log: jobLog, signal, events: deps.events, experiments: store.experiments, messages: store.messages, llm: deps.llm, lastAttempt,
      })),
    options(config.EXPERIMENT_CONCURRENCY),
  );
  const pulls = new Worker<{ pullId: string }>(
    QUEUES.pulls,
    wrap((d: { pullId: string }) => d.pullId, (id, signal, jobLog, lastAttempt) =>
      processPull(id, { log: jobLog, signal, events: deps.events, pulls: store.pulls, config, lastAttempt })),
    options(config.PULL_CONCURRENCY),
  );
  const workers = [experiments, pulls];
  for (const w of workers) {
    w.on('error', (err) => log.error({ err, queue: w.name }, 'worker error'));
    w.on('failed', (job, err) => {
      if (!(err instanceof DelayedError)) log.warn({ err, queue: w.name, jobId: job?.id }, 'job attempt failed');
    });
  }

  // Like runs: an API node that died between insert and enqueue leaves a queued document without a job.
  const requeue = async () => {
    const before = new Date(Date.now() - config.ORPHAN_RUN_AGE_MS);
    for (const e of await store.experiments.staleQueued(before)) {
      if (!(await deps.queues.experiments.getJob(e._id))) await enqueueExperiment(deps.queues, e._id);
    }
    for (const p of await store.pulls.staleQueued(before)) {
      if (!(await deps.queues.pulls.getJob(p._id))) await enqueuePull(deps.queues, p._id);
    }
  };
  const timer = setInterval(() => void requeue().catch((err) => log.warn({ err }, 'orphan requeue failed')), config.ORPHAN_RUN_AGE_MS);
  closer.add('job orphan requeue', async () => clearInterval(timer));

  return {
    workers,
    async run() {
      for (const w of workers) void w.run().catch((err) => log.error({ err, queue: w.name }, 'worker stopped'));
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
  };
}
