import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobData, JobName, JobOutcome } from './jobs/model';
import { bullmqPriority, FairShares } from './jobs/priority';

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
  session: 'sessions',
};

export type JobQueue = Queue<JobData, JobOutcome, JobName>;

/** A webhook delivery: which job's terminal state to send. */
export interface WebhookJobData {
  job: JobName;
  id: string;
}
export const WEBHOOK_QUEUE = 'webhooks';

export interface Queues {
  /** Webhook deliveries, retried with backoff (WEBHOOK_ATTEMPTS). */
  webhooks: Queue<WebhookJobData>;
  /** Owners' queued positions, shared by every producer (fair shares within a priority class). */
  fair: FairShares;
  runs: JobQueue;
  experiments: JobQueue;
  pulls: JobQueue;
  /** A session's job stays active while a worker holds its container (core/sessions.ts). */
  sessions: JobQueue;
  of(name: JobName): JobQueue;
  all(): JobQueue[];
  close(): Promise<void>;
}

/** Opens the producer side on its own connection (closed with the queues). */
export function openQueues(connection: Redis, prefix: string, attempts: number, webhookAttempts = 8): Queues {
  const defaultJobOptions: JobsOptions = {
    attempts,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
  const open = (name: JobName): JobQueue => new Queue<JobData, JobOutcome, JobName>(QUEUES[name], { connection, prefix, defaultJobOptions });
  const byName: Record<JobName, JobQueue> = { run: open('run'), experiment: open('experiment'), pull: open('pull'), session: open('session') };
  const webhooks = new Queue<WebhookJobData>(WEBHOOK_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: { attempts: webhookAttempts, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } },
  });
  const all = Object.values(byName);
  let closing: Promise<void> | undefined;
  return {
    fair: new FairShares(connection, prefix),
    webhooks,
    runs: byName.run,
    experiments: byName.experiment,
    pulls: byName.pull,
    sessions: byName.session,
    of: (name) => byName[name],
    all: () => all,
    close() {
      closing ??= Promise.all([...all, webhooks].map((q) => q.close()))
        .then(() => undefined)
        .finally(() => connection.quit().catch(() => connection.disconnect()));
      return closing;
    },
  };
}

/**
 * Enqueues jobs: each takes its place among its owner's queued jobs (one Redis
 * call per owner), then all are added in one round trip. Adding a job twice is
 * a no-op (job id = document id) and keeps its place.
 */
export async function enqueue(queues: Queues, name: JobName, jobs: JobData[]): Promise<void> {
  if (jobs.length === 0) return;
  const byOwner = new Map<string, JobData[]>();
  for (const j of jobs) byOwner.set(j.owner, [...(byOwner.get(j.owner) ?? []), j]);
  const position = new Map<string, number>();
  for (const [owner, own] of byOwner) {
    const places = await queues.fair.enter(QUEUES[name], owner, own.map((j) => j.id));
    own.forEach((j, i) => position.set(j.id, places[i] ?? 1));
  }
  await queues.of(name).addBulk(jobs.map((data) => ({
    name,
    data,
    opts: { jobId: data.id, priority: bullmqPriority(data.priority ?? 'medium', position.get(data.id) ?? 1) },
  })));
}
