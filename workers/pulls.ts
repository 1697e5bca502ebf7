import type { Config } from '../core/config';
import type { JobEmitter } from '../core/emitter';
import type { EventLog, Finale } from '../core/events';
import { PULL_JOB } from '../core/jobs/kinds';
import { attemptSignal, sleep } from '../llm/abort';
import type { Logger } from '../core/logger';
import { pullStream, PullStreamError } from '../llm/ollama/models-api';
import { ProgressThrottle, PullProgressTracker } from '../core/models/progress';
import type { PullDoc } from '../core/models/pull';
import { serverFromRef } from '../core/models/servers';
import type { PullStore } from '../core/store/pulls';
import { ShutdownAbort, type JobContext, type JobHandler } from './lifecycle';

/** What the pull processor needs; narrow, so tests can pass fakes. */
export interface PullContext {
  log: Logger;
  /** Aborted by a cancel request (reason 'cancelled') or by shutdown (reason 'shutdown'). */
  signal: AbortSignal;
  events: EventLog;
  pulls: PullStore;
  config: Pick<Config, 'OLLAMA_URL' | 'llm' | 'PULL_PROGRESS_MIN_MS' | 'PULL_PROGRESS_MIN_PERCENT' | 'PULL_STALL_MS' | 'PULL_MAX_RETRIES' | 'PULL_RETRY_BASE_MS'>;
  lastAttempt: boolean;
}

/** What pulls need besides the job context; built once per worker. */
export type PullDeps = Omit<PullContext, keyof JobContext>;

const MAX_RETRY_DELAY_MS = 30_000;

/** Model pulls in the one job lifecycle. Idempotent: after a crash Ollama resumes the partial download. */
export function pullHandler(deps: PullDeps, concurrency: number): JobHandler<PullDoc> {
  return {
    kind: PULL_JOB,
    concurrency,
    execute: (pull, ctx, emitter) => download(pull, { ...deps, ...ctx }, emitter),
  };
}

/**
 * Streams the pull, restarting the stream (bounded, with backoff) after an error
 * line, a dropped connection or a stall. Returns the finale; throws only for
 * shutdown or infrastructure failures.
 */
async function download(pull: PullDoc, ctx: PullContext, emitter: JobEmitter): Promise<Finale> {
  const { config } = ctx;
  const server = serverFromRef(config, pull.server);
  const tracker = new PullProgressTracker(pull.progress);
  const throttle = new ProgressThrottle(config.PULL_PROGRESS_MIN_MS, config.PULL_PROGRESS_MIN_PERCENT);
  let retries = pull.retries;
  // The document's progress is a copy for GET (the events are the record); writes are chained so they land in order.
  let saving = Promise.resolve();
  const save = () => {
    const progress = tracker.snapshot(Date.now());
    saving = saving
      .then(() => ctx.pulls.setProgress(pull._id, progress, retries))
      .catch((err) => ctx.log.warn({ err }, 'saving pull progress failed'));
    return saving;
  };
  const publish = () => {
    const progress = tracker.snapshot(Date.now());
    if (!throttle.take(progress, Date.now())) return;
    emitter.emit({ type: 'progress', data: progress });
    void save();
  };

  for (;;) {
    if (ctx.signal.aborted) return aborted(ctx);
    // No progress for PULL_STALL_MS aborts this stream only (not the job).
    const stall = attemptSignal([ctx.signal], config.PULL_STALL_MS);
    try {
      await pullStream(server, pull.model, stall.signal, (line) => {
        if (tracker.update(line, Date.now())) stall.touch();
        publish();
      });
      await save();
      return { status: 'succeeded' };
    } catch (err) {
      if (ctx.signal.aborted) return aborted(ctx);
      const stalled = stall.timedOut();
      if (!stalled && !(err instanceof PullStreamError)) throw err;
      const reason = stalled ? `no progress for ${config.PULL_STALL_MS} ms` : (err as PullStreamError).message;
      const code = stalled ? 'stalled' : (err as PullStreamError).code;
      // An error line after the manifest was read (in this stream or an earlier one) is worth a retry.
      const retryable = stalled || (err as PullStreamError).retryable || ((err as PullStreamError).code === 'error_line' && tracker.sawLayers);
      if (!retryable || retries >= config.PULL_MAX_RETRIES) {
        const message = retryable ? `${reason} (gave up after ${retries} retries)` : reason;
        return { status: 'failed', error: { code, message } };
      }
      retries += 1;
      const delayMs = Math.min(MAX_RETRY_DELAY_MS, config.PULL_RETRY_BASE_MS * 2 ** (retries - 1));
      ctx.log.warn({ pullId: pull._id, retry: retries, reason, delayMs }, 'model pull stream failed; retrying');
      emitter.emit({ type: 'retry', data: { retry: retries, reason, delayMs } });
      await save();
      await sleep(delayMs, ctx.signal).catch(() => undefined); // an abort is handled at the top of the loop
    } finally {
      stall.dispose();
    }
  }
}

/** Cancel ends the pull; shutdown puts it back in the queue (thrown, see processPull). */
function aborted(ctx: PullContext): Finale {
  if (ctx.signal.reason === 'cancelled') return { status: 'cancelled' };
  throw new ShutdownAbort();
}
