import type { EvaluationResult } from '../../core/runs';
import type { Executor } from './context';
import { autorunLoop } from './autorun';

type Outcome = Awaited<ReturnType<typeof autorunLoop>>;

/**
 * kind "evaluation": the same autorun task (prompt + tests) for every model,
 * `samples` times each, scored by pass rate, model latency, sandbox time and
 * cost. Samples run one model at a time, in parallel across models; each
 * sample's artifacts are keyed `model-index.sample`, so a resumed evaluation
 * repeats no finished step.
 */
export const executeEvaluation: Executor = async (run, ctx, emitter) => {
  const req = run.request;
  const models = req.models ?? [];
  const samples = req.samples ?? 1;
  const perModel = await Promise.all(
    models.map(async (model, m) => {
      const outcomes: Outcome[] = [];
      for (let s = 1; s <= samples; s++) {
        const key = `${m}.${s}`;
        const r = await autorunLoop(run, ctx, emitter, { model, maxAttempts: req.maxAttempts ?? 1, key });
        emitter.emit({ type: 'step', data: { name: 'sample', model, sample: s, passed: r.succeededAttempt !== null, key } });
        outcomes.push(r);
      }
      const passed = outcomes.filter((o) => o.succeededAttempt !== null).length;
      const sum = (f: (o: Outcome) => number) => outcomes.reduce((a, o) => a + f(o), 0);
      return {
        model: outcomes.find((o) => o.model)?.model ?? model,
        samples,
        passed,
        passRate: passed / samples,
        meanLatencyMs: Math.round(sum((o) => o.generationMs) / samples),
        meanSandboxMs: Math.round(sum((o) => o.sandboxMs) / samples),
        usage: { inputTokens: sum((o) => o.usage.inputTokens), outputTokens: sum((o) => o.usage.outputTokens) },
        costUsd: sum((o) => o.costUsd),
      };
    }),
  );
  const result: EvaluationResult = { models: perModel };
  return { status: 'succeeded', result };
};
