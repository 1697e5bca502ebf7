import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * The job registry: queue names and the data each job carries, shared by the API
 * (producer) and the workers (consumer). Jobs carry ids only; the documents in
 * MongoDB are the truth.
 */
export const QUEUES = {
  runs: 'runs',
  experiments: 'experiments',
  pulls: 'model-pulls',
} as const;

export interface JobDataMap {
  run: { runId: string };
  experiment: { experimentId: string };
  pull: { pullId: string };
}

export interface Queues {
  runs: Queue<JobDataMap['run'], void, 'run'>;
  experiments: Queue<JobDataMap['experiment'], void, 'experiment'>;
  pulls: Queue<JobDataMap['pull'], void, 'pull'>;
  all(): Queue[];
  close(): Promise<void>;
}

/** Opens the producer side on its own connection (closed with the queues). */
export function openQueues(connection: Redis, prefix: string, attempts: number): Queues {
  const defaultJobOptions: JobsOptions = {
    attempts,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
  const runs = new Queue<JobDataMap['run'], void, 'run'>(QUEUES.runs, { connection, prefix, defaultJobOptions });
  const experiments = new Queue<JobDataMap['experiment'], void, 'experiment'>(QUEUES.experiments, { connection, prefix, defaultJobOptions });
  const pulls = new Queue<JobDataMap['pull'], void, 'pull'>(QUEUES.pulls, { connection, prefix, defaultJobOptions });
  let closing: Promise<void> | undefined;
  return {
    runs,
    experiments,
    pulls,
    all: () => [runs, experiments, pulls],
    close() {
      closing ??= Promise.all([runs.close(), experiments.close(), pulls.close()])
        .then(() => undefined)
        .finally(() => connection.quit().catch(() => connection.disconnect()));
      return closing;
    },
  };
}

/** Enqueues runs in one round trip; adding a run twice is a no-op (jobId = runId). */
export async function enqueueRuns(queues: Queues, runIds: string[]): Promise<void> {
  await queues.runs.addBulk(runIds.map((runId) => ({ name: 'run' as const, data: { runId }, opts: { jobId: runId } })));
}

/** Enqueues a run; adding the same run twice is a no-op (jobId = runId). */
export async function enqueueRun(queues: Queues, runId: string): Promise<void> {
  await queues.runs.add('run', { runId }, { jobId: runId });
}

/** Enqueues an experiment; adding it twice is a no-op (jobId = experimentId). */
export async function enqueueExperiment(queues: Queues, experimentId: string): Promise<void> {
  await queues.experiments.add('experiment', { experimentId }, { jobId: experimentId });
}

/** Enqueues a model pull; adding it twice is a no-op (jobId = pullId). */
export async function enqueuePull(queues: Queues, pullId: string): Promise<void> {
  await queues.pulls.add('pull', { pullId }, { jobId: pullId });
}
