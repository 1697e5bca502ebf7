import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * The job registry: queue names and the data each job carries, shared by the API
 * (producer) and the workers (consumer). Jobs carry ids only; the documents in
 * MongoDB are the truth.
 */
export const QUEUES = {
  runs: 'runs',
} as const;

export interface JobDataMap {
  run: { runId: string };
}

export interface Queues {
  runs: Queue<JobDataMap['run'], void, 'run'>;
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
  let closing: Promise<void> | undefined;
  return {
    runs,
    all: () => [runs],
    close() {
      closing ??= runs.close().finally(() => connection.quit().catch(() => connection.disconnect()));
      return closing;
    },
  };
}

/** Enqueues a run; adding the same run twice is a no-op (jobId = runId). */
export async function enqueueRun(queues: Queues, runId: string): Promise<void> {
  await queues.runs.add('run', { runId }, { jobId: runId });
}
