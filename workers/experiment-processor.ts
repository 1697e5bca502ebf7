import { RunEmitter } from '../core/emitter';
import type { Finale } from '../core/events';
import { addTotals, emptyTotals, sumMessages, type ExperimentDoc, type IterationSummary, type MessageDoc } from '../core/experiments';
import { finalizeJob } from '../core/finalize';
import type { ExperimentContext } from './experiments/context';
import { runIteration, type IterationOutcome } from './experiments/conversation';
import { ShutdownAbort } from './run-processor';

export type { ExperimentContext };

/**
 * Processes one experiment: its iterations in order, each a conversation that
 * resumes from its last stored message. Idempotent: safe to repeat after a crash
 * at any point (finished iterations are skipped, stored messages are not asked for again).
 */
export async function processExperiment(experimentId: string, ctx: ExperimentContext): Promise<void> {
  const deps = { events: ctx.events, docs: ctx.experiments };
  const interrupted = await ctx.events.finale(experimentId);
  if (interrupted) {
    await finalizeJob(deps, experimentId, interrupted);
    return;
  }
  const exp = await ctx.experiments.claim(experimentId);
  if (!exp) return;
  if (exp.cancelRequested || ctx.signal.reason === 'cancelled') {
    await finalizeJob(deps, experimentId, { status: 'cancelled' });
    return;
  }
  const emitter = new RunEmitter(ctx.events, experimentId, ctx.log);
  emitter.emit({ type: 'status', data: { status: 'running', attempt: exp.attempts } });
  try {
    const finale = await runIterations(exp, ctx, emitter);
    await emitter.flush();
    await finalizeJob(deps, experimentId, finale);
  } catch (err) {
    await emitter.flush().catch(() => undefined);
    if (ctx.signal.reason === 'shutdown') throw new ShutdownAbort();
    if (!ctx.lastAttempt) throw err;
    ctx.log.error({ err, experimentId }, 'experiment failed on its last attempt');
    await finalizeJob(deps, experimentId, { status: 'error', error: { code: 'infrastructure', message: 'internal error while running' } });
  }
}

async function runIterations(exp: ExperimentDoc, ctx: ExperimentContext, emitter: RunEmitter): Promise<Finale> {
  const iterations = [...exp.iterations];
  const startedAt = exp.startedAt ?? new Date();
  const save = () => {
    const totals = iterations.reduce((t, it) => addTotals(t, it), emptyTotals());
    return ctx.experiments.setProgress(exp._id, iterations, { ...totals, wallMs: Date.now() - startedAt.getTime() });
  };

  for (let i = 1; i <= exp.request.iterations; i++) {
    let summary = iterations[i - 1];
    if (summary && summary.status !== 'running') continue; // ended in an earlier attempt
    if (!summary) {
      summary = { iteration: i, status: 'running', startedAt: new Date(), ...emptyTotals() };
      iterations[i - 1] = summary;
      await save();
      emitter.emit({ type: 'iteration', data: summary });
    }
    const begun = summary.startedAt;
    const live = (transcript: MessageDoc[]) => {
      iterations[i - 1] = { ...iterations[i - 1]!, ...sumMessages(transcript), wallMs: Date.now() - begun.getTime() };
      return save();
    };
    const outcome = await runIteration(exp, i, begun, ctx, emitter, live);
    const ended = endIteration(iterations[i - 1]!, outcome, await ctx.messages.list(exp._id, i));
    iterations[i - 1] = ended;
    await save();
    emitter.emit({ type: 'iteration', data: ended });
    if (outcome.reason === 'cancelled') return { status: 'cancelled' };
  }
  const failed = iterations.find((it) => it.status === 'failed');
  if (failed) {
    return { status: 'failed', error: { code: 'agent_failed', message: `iteration ${failed.iteration}: ${failed.termination?.detail ?? 'an agent could not answer'}` } };
  }
  return { status: 'succeeded' };
}

function endIteration(summary: IterationSummary, outcome: IterationOutcome, transcript: MessageDoc[]): IterationSummary {
  const finishedAt = new Date();
  const status: IterationSummary['status'] = outcome.reason === 'cancelled' ? 'cancelled' : outcome.reason === 'error' ? 'failed' : 'completed';
  return {
    ...summary,
    ...sumMessages(transcript),
    wallMs: finishedAt.getTime() - summary.startedAt.getTime(),
    status,
    finishedAt,
    termination: { reason: outcome.reason, ...(outcome.detail ? { detail: outcome.detail } : {}) },
  };
}
