import { ProviderError } from '../../llm';
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
      let error: ProviderError | undefined;
      for (let s = 1; s <= samples && !error; s++) {
        const key = `${m}.${s}`;
        try {
          const r = await autorunLoop(run, ctx, emitter, { model, maxAttempts: req.maxAttempts ?? 1, key });
          emitter.emit({ type: 'step', data: { name: 'sample', model, sample: s, passed: r.succeededAttempt !== null, key } });
          outcomes.push(r);
        } catch (err) {
          // A model that cannot answer scores 0 for what is left; the other models' scores still count.
          if (!(err instanceof ProviderError) || ctx.signal.aborted) throw err;
          error = err;
          emitter.emit({ type: 'step', data: { name: 'sample', model, sample: s, passed: false, key, error: err.message } });
        }
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
        ...(error ? { error: error.message } : {}),
        failure: error,
      };
    }),
  );
  // Only when no model could answer at all is the evaluation itself not carried out.
  const failures = perModel.map((p) => p.failure);
  if (failures.every((f) => f !== undefined) && failures[0]) throw failures[0];
  const result: EvaluationResult = { models: perModel.map(({ failure: _, ...p }) => p) };
  return { status: 'succeeded', result };
};
