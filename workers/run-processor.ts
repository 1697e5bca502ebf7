import { SandboxInfraError } from '../core/errors';
import { RunEmitter } from '../core/emitter';
import type { EventLog, Finale } from '../core/events';
import { finalizeRun } from '../core/finalize';
import type { Llm } from '../core/llm';
import type { Logger } from '../core/logger';
import type { RunDoc, RunKind } from '../core/runs';
import type { ArtifactStore } from '../core/store/artifacts';
import type { RunStore } from '../core/store/runs';
import type { Sandbox } from '../sandbox/types';
import type { EnsureModel } from './ensure-model';
import { executeAgent } from './executors/agent';
import { executeAutorun } from './executors/autorun';
import { executeCode } from './executors/code';
import { executeCompare, executeConsensus } from './executors/compare';
import { executeEvaluation } from './executors/evaluation';

/** What the run processor needs; narrow, so tests can pass fakes. */
export interface RunContext {
  log: Logger;
  /** Aborted by a cancel request (reason 'cancelled') or by shutdown (reason 'shutdown'). */
  signal: AbortSignal;
  events: EventLog;
  runs: RunStore;
  sandbox: Sandbox;
  llm: Llm;
  artifacts: ArtifactStore;
  /** Pulls a model onto its Ollama server when it is not installed yet (no-op for other providers). */
  ensureModel?: EnsureModel;
  /** True on the job's last attempt: an infrastructure failure then ends the run in `error`. */
  lastAttempt: boolean;
}

/** Runs one kind of run to its finale; output goes out through the emitter as it happens. */
export type Executor = (run: RunDoc, ctx: RunContext, emitter: RunEmitter) => Promise<Finale>;

const EXECUTORS: Partial<Record<RunKind, Executor>> = {
  code: executeCode,
  autorun: executeAutorun,
  agent: executeAgent,
  compare: executeCompare,
  consensus: executeConsensus,
  evaluation: executeEvaluation,
};

export class ShutdownAbort extends Error {
  constructor() {
    super('worker shut down during the run; it will be retried');
    this.name = 'ShutdownAbort';
  }
}

/** Processes one run. Idempotent: safe to repeat after a crash at any point. */
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
  const execute = EXECUTORS[run.kind];
  if (!execute) {
    await finalizeRun(deps, runId, { status: 'error', error: { code: 'unsupported', message: `kind ${run.kind} cannot run here` } });
    return;
  }
  const emitter = new RunEmitter(ctx.events, runId, ctx.log);
  emitter.emit({ type: 'status', data: { status: 'running', attempt: run.attempts } });
  try {
    const finale = await execute(run, ctx, emitter);
    await emitter.flush();
    if (ctx.signal.reason === 'shutdown') throw new ShutdownAbort();
    await finalizeRun(deps, runId, finale);
  } catch (err) {
    if (ctx.signal.reason === 'shutdown') throw new ShutdownAbort();
    if (ctx.signal.reason === 'cancelled') {
      await finalizeRun(deps, runId, { status: 'cancelled' });
      return;
    }
    if (err instanceof ShutdownAbort || !ctx.lastAttempt) throw err;
    const message = err instanceof SandboxInfraError ? err.message : 'internal error while running';
    ctx.log.error({ err, runId }, 'run failed on its last attempt');
    await finalizeRun(deps, runId, { status: 'error', error: { code: 'infrastructure', message } });
  }
}
