import { SandboxInfraError } from '../core/errors';
import { RunEmitter } from '../core/emitter';
import type { EventLog } from '../core/events';
import { finalizeRun } from '../core/finalize';
import type { Logger } from '../core/logger';
import { stateForResult } from '../core/runs';
import type { RunStore } from '../core/store/runs';
import type { Sandbox } from '../sandbox/types';

/** What the run processor needs; narrow, so tests can pass fakes. */
export interface RunContext {
  log: Logger;
  /** Aborted by a cancel request (reason 'cancelled') or by shutdown (reason 'shutdown'). */
  signal: AbortSignal;
  events: EventLog;
  runs: RunStore;
  sandbox: Sandbox;
  /** True on the job's last attempt: an infrastructure failure then ends the run in `error`. */
  lastAttempt: boolean;
}

export class ShutdownAbort extends Error {
  constructor() {
    super('worker shut down during the run; it will be retried');
    this.name = 'ShutdownAbort';
  }
}

/** Processes one run of kind "code". Idempotent: safe to repeat after a crash at any point. */
export async function processRun(runId: string, ctx: RunContext): Promise<void> {
  const deps = { events: ctx.events, runs: ctx.runs };
  const interrupted = await ctx.events.finale(runId);
  if (interrupted) {
    await finalizeRun(deps, runId, interrupted);
    return;
  }
  const run = await ctx.runs.claim(runId);
  if (!run) return; // gone, or already terminal
  if (run.cancelRequested || ctx.signal.reason === 'cancelled') {
    await finalizeRun(deps, runId, { status: 'cancelled' });
    return;
  }
  const emitter = new RunEmitter(ctx.events, runId, ctx.log);
  emitter.emit({ type: 'status', data: { status: 'running', attempt: run.attempts } });
  try {
    const result = await ctx.sandbox.run({
      runId,
      language: run.request.language,
      code: run.request.code ?? '',
      files: run.request.files,
      stdin: run.request.stdin,
      limits: run.limits,
      reuseKey: run.request.reuse ? run.owner : undefined,
      signal: ctx.signal,
      onOutput: (stream, chunk) => emitter.emit({ type: stream, data: { chunk } }),
    });
    await emitter.flush();
    if (result.verdict === 'killed' && ctx.signal.reason === 'shutdown') throw new ShutdownAbort();
    await finalizeRun(deps, runId, { status: stateForResult(result), result });
  } catch (err) {
    if (err instanceof ShutdownAbort || !ctx.lastAttempt) throw err;
    const message = err instanceof SandboxInfraError ? err.message : 'internal error while running';
    ctx.log.error({ err, runId }, 'run failed on its last attempt');
    await finalizeRun(deps, runId, { status: 'error', error: { code: 'infrastructure', message } });
  }
}
