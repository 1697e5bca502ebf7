import type { RunEmitter } from '../../core/emitter';
import type { AutorunResult, CodeResult, RunDoc } from '../../core/runs';
import type { ArtifactDoc } from '../../core/store/artifacts';
import type { TestCase } from '../../core/testing';
import { describeFailures, generationMessages, parseAnswer, type PriorAttempt } from '../autorun/prompt';
import type { Executor, RunContext } from '../run-processor';
import { runTests, stateForTests } from './code';

/** What one attempt's model call produced (artifact "generation"). */
interface Generation {
  model: string;
  text: string;
  code?: string;
  tests?: TestCase[];
  rejected?: string;
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number;
  latencyMs: number;
}

/**
 * kind "autorun": the model writes code (and tests when none were given), the
 * sandbox runs them, failures go back to the model, up to maxAttempts. Each step
 * is an artifact written before the next step starts, so a retried job resumes
 * at the first unfinished step: a finished generation is never asked for again.
 */
export const executeAutorun: Executor = async (run, ctx, emitter) => {
  const maxAttempts = run.request.maxAttempts ?? 3;
  const stored = indexArtifacts(await ctx.artifacts.list(run._id));
  const spent = { inputTokens: 0, outputTokens: 0, costUsd: 0, sandboxMs: 0 };
  let prior: PriorAttempt | undefined;
  let last: { gen: Generation; exec?: CodeResult } | undefined;

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    emitter.emit({ type: 'step', data: { name: 'attempt', attempt } });
    const gen = stored.get(`${attempt}:generation`) ?? (await generate(run, ctx, emitter, attempt, prior));
    spent.inputTokens += gen.usage.inputTokens;
    spent.outputTokens += gen.usage.outputTokens;
    spent.costUsd += gen.costUsd;
    if (gen.rejected || !gen.code) {
      emitter.emit({ type: 'step', data: { name: 'rejected', attempt, reason: gen.rejected } });
      prior = { code: gen.text, failures: `Your answer was rejected: ${gen.rejected}` };
      last = { gen };
      continue;
    }
    const exec =
      (stored.get(`${attempt}:execution`) as CodeResult | undefined) ?? (await execute(run, ctx, emitter, attempt, gen));
    spent.sandboxMs += exec.wallMs;
    last = { gen, exec };
    const passed = stateForTests(exec) === 'succeeded';
    emitter.emit({ type: 'step', data: { name: 'tested', attempt, passed } });
    if (passed) return { status: 'succeeded', result: summary(attempt, attempt, last, spent) };
    prior = { code: gen.code, failures: describeFailures(exec) };
  }
  return { status: 'failed', result: summary(null, maxAttempts, last, spent) };
};

async function generate(run: RunDoc, ctx: RunContext, emitter: RunEmitter, attempt: number, prior?: PriorAttempt): Promise<Generation> {
  const req = run.request;
  const res = await ctx.llm.chat({
    model: req.model,
    messages: generationMessages({ language: language(run), task: req.prompt ?? '', givenTests: req.tests, prior }),
    temperature: req.temperature,
    maxOutputTokens: req.maxOutputTokens,
    signal: ctx.signal,
    onDelta: (delta) => emitter.emit({ type: 'token', data: { model: `attempt-${attempt}`, delta } }),
  });
  const answer = parseAnswer(res.text, req.tests === undefined);
  const gen: Generation = {
    model: res.model,
    text: res.text,
    usage: res.usage,
    costUsd: res.costUsd ?? 0,
    latencyMs: res.latencyMs,
    ...('rejected' in answer ? { rejected: answer.rejected } : { code: answer.code, tests: req.tests ?? answer.tests }),
  };
  return (await ctx.artifacts.put(run._id, attempt, 'generation', gen)).data;
}

async function execute(run: RunDoc, ctx: RunContext, emitter: RunEmitter, attempt: number, gen: Generation): Promise<CodeResult> {
  const result = await runTests(ctx, emitter, {
    runId: run._id,
    language: language(run),
    code: gen.code ?? '',
    tests: gen.tests ?? [],
    limits: run.limits,
  });
  return (await ctx.artifacts.put(run._id, attempt, 'execution', result)).data;
}

function summary(
  succeededAttempt: number | null,
  attempts: number,
  last: { gen: Generation; exec?: CodeResult } | undefined,
  spent: { inputTokens: number; outputTokens: number; costUsd: number; sandboxMs: number },
): AutorunResult {
  return {
    succeededAttempt,
    attempts,
    code: last?.gen.code,
    tests: last?.exec?.tests,
    ...(last?.exec?.compileError ? { compileError: last.exec.compileError } : {}),
    model: last?.gen.model,
    usage: { inputTokens: spent.inputTokens, outputTokens: spent.outputTokens },
    costUsd: spent.costUsd,
    sandboxMs: spent.sandboxMs,
  };
}

function indexArtifacts(docs: ArtifactDoc[]): Map<string, any> {
  return new Map(docs.map((d) => [`${d.attempt}:${d.kind}`, d.data]));
}

function language(run: RunDoc): 'python' | 'javascript' {
  return run.request.language === 'javascript' ? 'javascript' : 'python';
}
