import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobData, JobName, JobOutcome } from './jobs/model';

/**
 * The queues, one per job name, shared by the API (producer) and the workers
 * (consumer). Jobs carry ids (plus kind and owner for dashboards); the
 * documents in MongoDB are the truth. Job id = document id, so adding a job
 * twice is a no-op.
 */
export const QUEUES: Record<JobName, string> = {
  run: 'runs',
  experiment: 'experiments',
  pull: 'model-pulls',
};

export type JobQueue = Queue<JobData, JobOutcome, JobName>;

export interface Queues {
  runs: JobQueue;
  experiments: JobQueue;
  pulls: JobQueue;
  of(name: JobName): JobQueue;
  all(): JobQueue[];
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
  const open = (name: JobName): JobQueue => new Queue<JobData, JobOutcome, JobName>(QUEUES[name], { connection, prefix, defaultJobOptions });
  const byName: Record<JobName, JobQueue> = { run: open('run'), experiment: open('experiment'), pull: open('pull') };
  const all = Object.values(byName);
  let closing: Promise<void> | undefined;
  return {
    runs: byName.run,
    experiments: byName.experiment,
    pulls: byName.pull,
    of: (name) => byName[name],
    all: () => all,
    close() {
      closing ??= Promise.all(all.map((q) => q.close()))
        .then(() => undefined)
        .finally(() => connection.quit().catch(() => connection.disconnect()));
      return closing;
    },
  };
}

/** Enqueues jobs in one round trip; adding one twice is a no-op (job id = document id). */
export async function enqueue(queues: Queues, name: JobName, jobs: JobData[]): Promise<void> {
  if (jobs.length === 0) return;
  await queues.of(name).addBulk(jobs.map((data) => ({ name, data, opts: { jobId: data.id } })));
}
