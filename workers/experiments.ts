import type { JobEmitter } from '../core/emitter';
import type { Finale } from '../core/events';
import { addTotals, emptyTotals, sumMessages, type ExperimentDoc, type IterationSummary, type MessageDoc } from '../core/experiments';
import { EXPERIMENT_JOB } from '../core/jobs/kinds';
import type { ExperimentContext } from './experiments/context';
import { runIteration, type IterationOutcome } from './experiments/conversation';
import type { JobContext, JobHandler } from './lifecycle';

/** What experiments need besides the job context; built once per worker. */
export type ExperimentDeps = Omit<ExperimentContext, keyof JobContext>;

/**
 * Experiments in the one job lifecycle: iterations in order, each a
 * conversation that resumes from its last stored message, so a retried job
 * skips finished iterations and asks no model again for a stored message.
 */
export function experimentHandler(deps: ExperimentDeps, concurrency: number): JobHandler<ExperimentDoc> {
  return {
    kind: EXPERIMENT_JOB,
    concurrency,
    execute: (exp, ctx, emitter) => runIterations(exp, { ...deps, ...ctx }, emitter),
  };
}

async function runIterations(exp: ExperimentDoc, ctx: ExperimentContext, emitter: JobEmitter): Promise<Finale> {
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
