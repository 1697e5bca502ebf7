import type { PriorityClass } from './priority';

/**
 * What every kind of job has in common: runs, experiments and model pulls (and
 * whatever kind comes next) share one lifecycle over one document shape.
 *
 *   accepted (document `queued` + first event + queue entry, all or nothing)
 *   → claimed (`running`, attempts + 1) → executing (events)
 *   → exactly one terminal state, written once.
 */

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'error'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'timed_out', 'cancelled', 'error'];
export const isTerminal = (s: JobState): boolean => TERMINAL_STATES.includes(s);

/** Why a job ended in `failed` or `error`: a stable `code` (see README, "Error codes") and a message naming the cause. */
export interface JobFailure {
  code: string;
  message: string;
}

export interface JobDoc {
  _id: string;
  status: JobState;
  /** Processing attempts so far: every claim by a worker adds one. */
  attempts: number;
  cancelRequested?: boolean;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  error?: JobFailure;
  /** Where the terminal state is POSTed (a signed webhook), when the request gave one. */
  callbackUrl?: string;
}

/** The names jobs go by in their queues and in job data. */
export const JOB_NAMES = ['run', 'experiment', 'pull', 'session'] as const;
export type JobName = (typeof JOB_NAMES)[number];

/**
 * What a queue entry carries: the document id, plus kind and owner so that an
 * admin reading Bull Board sees what a job is. Never a secret: the document in
 * MongoDB is the truth.
 */
export interface JobData {
  id: string;
  /** The run kind (code, autorun, …), or the job name for experiments and pulls. */
  kind: string;
  /** Who asked (pulls: the first requester). */
  owner: string;
  /** The priority class (core/jobs/priority.ts); unset: medium. */
  priority?: PriorityClass;
}

/** What BullMQ keeps as a completed job's return value, so Bull Board shows the outcome. */
export interface JobOutcome {
  status: JobState;
  verdict?: string;
  error?: JobFailure;
}
