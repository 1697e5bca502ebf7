import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../core/config';
import { JobEmitter } from '../core/emitter';
import type { EventLog, Finale } from '../core/events';
import { classifyFailure } from '../core/jobs/errors';
import { finalizeJob } from '../core/jobs/finalize';
import type { JobKind } from '../core/jobs/kinds';
import type { JobData, JobDoc, JobOutcome } from '../core/jobs/model';
import type { Logger } from '../core/logger';
import type { JobMetrics } from '../core/metrics';
import { QUEUES, type Queues } from '../core/queues';
import { webhookOnEnd } from '../core/webhooks/notify';
import type { Store } from '../core/store';
import type { CancelRegistry } from './cancel-registry';
import { reconcileJob } from './reconcile';

/** What one attempt of a job gets, whatever its kind. */
export interface JobContext {
  log: Logger;
  /** Aborted by a cancel request (reason 'cancelled') or by shutdown (reason 'shutdown'). */
  signal: AbortSignal;
  /** True on the job's last attempt (informational: the lifecycle decides what a failure means). */
  lastAttempt: boolean;
}

/**
 * A kind of job plugged into the lifecycle: its descriptor and how to carry it
 * out. `execute` returns the finale for anything the user caused (a failing
 * program, a model that could not answer the task); it throws only when the
 * job could not be carried out, and the lifecycle classifies that
 * (core/jobs/errors.ts) into a retry or a final `error`.
 */
export interface JobHandler<D extends JobDoc = JobDoc> {
  kind: JobKind<D>;
  concurrency: number;
  execute(doc: D, ctx: JobContext, emitter: JobEmitter): Promise<Finale>;
  /** Reads the finale into the job's return value (Bull Board shows it). */
  outcome?(finale: Finale): JobOutcome;
  /**
   * What execute returns after a shutdown is final, not left for a retry on
   * another worker: sessions, whose container cannot move (core/sessions.ts).
   */
  finalOnShutdown?: boolean;
}

export interface LifecycleDeps {
  config: Config;
  log: Logger;
  store: Store;
  events: EventLog;
  cancels: CancelRegistry;
  queues: Queues;
  /** Queue wait, run duration and outcomes of the jobs this process ends. */
  metrics?: JobMetrics;
}

/** The worker is shutting down: the job goes back to the queue without spending an attempt. */
export class ShutdownAbort extends Error {
  constructor() {
    super('worker shut down during the job; it will be retried');
    this.name = 'ShutdownAbort';
  }
}

/**
 * One attempt of one job, for any kind. Idempotent: safe to repeat after a
 * crash at any point (an interrupted finish is completed, a terminal job is
 * left alone). Returns the finale that ended the job; throws ShutdownAbort, or
 * a failure worth another attempt.
 */
export async function processJob<D extends JobDoc>(handler: JobHandler<D>, id: string, ctx: JobContext, deps: LifecycleDeps): Promise<Finale | null> {
  const docs = handler.kind.docs(deps.store);
  const kind = handler.kind as unknown as JobKind;
  // Both in one round trip. When a finale is recorded (an earlier attempt died
  // while finishing), the claim only counted one attempt more before the finish
  // is completed.
  const [interrupted, claimed] = await Promise.all([deps.events.finale(id), docs.claim(id)]);
  if (interrupted) {
    const current = claimed ?? (await docs.get(id));
    return finalizeJob(deps.events, docs, id, interrupted, webhookOnEnd(deps.queues, kind, current), deps.metrics?.ended(kind, current));
  }
  const doc = claimed;
  if (!doc) return null; // gone, or already terminal
  deps.metrics?.claimed(kind, doc);
  const end = (finale: Finale) => finalizeJob(deps.events, docs, id, finale, webhookOnEnd(deps.queues, kind, doc), deps.metrics?.ended(kind, doc));
  // No longer queued: its owner's later jobs move up (fair shares, core/jobs/priority.ts).
  const leaving = deps.queues.fair.leave(QUEUES[handler.kind.name], handler.kind.jobData(doc).owner, id);
  if (doc.cancelRequested || ctx.signal.reason === 'cancelled') {
    await leaving;
    return end({ status: 'cancelled' });
  }
  // Nothing copies a job's events before its first attempt.
  if (doc.attempts === 1) deps.events.noneCopiedYet(id);
  const emitter = new JobEmitter(deps.events, id, ctx.log);
  emitter.emit({ type: 'status', data: { status: 'running', attempt: doc.attempts } });
  await leaving;
  try {
    const finale = await handler.execute(doc, ctx, emitter);
    // Redis only: finalizeJob copies every event to MongoDB right after the `end`.
    await emitter.settle();
    if (ctx.signal.reason === 'shutdown' && !handler.finalOnShutdown) throw new ShutdownAbort();
    return await end(finale);
  } catch (err) {
    await emitter.flush().catch(() => undefined);
    if (err instanceof ShutdownAbort || ctx.signal.reason === 'shutdown') throw new ShutdownAbort();
    if (ctx.signal.reason === 'cancelled') return end({ status: 'cancelled' });
    const failure = classifyFailure(err);
    if (failure.retryable && !ctx.lastAttempt) {
      ctx.log.warn({ err, code: failure.code }, `${handler.kind.noun} attempt failed; it will be retried`);
      throw err;
    }
    ctx.log.error({ err, code: failure.code, retryable: failure.retryable }, `${handler.kind.noun} ended in error`);
    return end({ status: 'error', error: { code: failure.code, message: failure.message } });
  }
}

/**
 * The BullMQ consumer of one kind's queue. Every job gets one AbortSignal that
 * a cancel (any API node, over Redis pub/sub) and shutdown both reach. A job
 * whose document ended in `error` is failed in BullMQ too, so admins see it
 * among the failed jobs; BullMQ giving up on a job (stalled past its limit)
 * finalizes the document at once.
 */
export function consume<D extends JobDoc>(handler: JobHandler<D>, deps: LifecycleDeps & { connection: Redis; reconcile: Parameters<typeof reconcileJob>[2] }): Worker<JobData, JobOutcome> {
  const { config, log } = deps;
  const processor = async (job: Job<JobData, JobOutcome>, token?: string): Promise<JobOutcome> => {
    const id = job.data.id;
    const controller = deps.cancels.register(id);
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const jobLog = log.child({ id, queue: job.queueName, attempt: job.attemptsMade + 1 });
    // One line per attempt: which worker (host, pid) took which job, for operators following a run across hosts.
    jobLog.info('attempt started');
    try {
      const finale = await processJob(handler, id, { log: jobLog, signal: controller.signal, lastAttempt }, deps);
      const outcome = finale ? (handler.outcome ?? defaultOutcome)(finale) : await alreadyEnded(handler, id, deps);
      if (outcome.status === 'error') throw new UnrecoverableError(`${outcome.error?.code ?? 'error'}: ${outcome.error?.message ?? ''}`);
      return outcome;
    } catch (err) {
      if (!(err instanceof ShutdownAbort)) throw err;
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    } finally {
      deps.cancels.release(id, controller);
    }
  };
  const worker = new Worker<JobData, JobOutcome>(QUEUES[handler.kind.name], processor, {
    connection: deps.connection,
    prefix: config.QUEUE_PREFIX,
    concurrency: handler.concurrency,
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_STALLED_CHECK_MS,
    maxStalledCount: config.JOB_ATTEMPTS,
    autorun: false,
  });
  worker.on('error', (err) => log.error({ err, queue: worker.name }, 'worker error'));
  worker.on('failed', (job, err) => {
    if (!job || err instanceof DelayedError) return;
    // Also reached when BullMQ fails a job that stalled too often: nothing else would end its document.
    void reconcileJob(handler.kind as unknown as JobKind, job.data.id, deps.reconcile).catch((e) =>
      log.warn({ err: e, id: job.data.id }, 'closing a failed job failed; the reconciler will retry'),
    );
  });
  return worker;
}

function defaultOutcome(finale: Finale): JobOutcome {
  const verdict = (finale.result as { verdict?: unknown } | undefined)?.verdict;
  return { status: finale.status, ...(typeof verdict === 'string' ? { verdict } : {}), ...(finale.error ? { error: finale.error } : {}) };
}

/** The job was already terminal when this attempt began (a retry from the dashboard, a duplicate delivery). */
async function alreadyEnded<D extends JobDoc>(handler: JobHandler<D>, id: string, deps: LifecycleDeps): Promise<JobOutcome> {
  const doc = await handler.kind.docs(deps.store).get(id);
  if (!doc) return { status: 'cancelled', error: { code: 'gone', message: `the ${handler.kind.noun} no longer exists` } };
  return { status: doc.status, ...(doc.error ? { error: doc.error } : {}) };
}
