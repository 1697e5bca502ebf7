import type { JobEmitter } from '../../core/emitter';
import type { AutorunResult, CodeResult, RunDoc } from '../../core/runs';
import type { ArtifactDoc } from '../../core/store/artifacts';
import type { TestCase } from '../../core/testing';
import { parseAnswer, type RefusalKind } from '../autorun/answer';
import { describeFailure, failureOf, generationMessages, type AutorunFailure, type PriorAttempt } from '../autorun/prompt';
import type { Executor, RunContext } from './context';
import { runTests, stateForTests } from './code';

/** What one attempt's model call produced (artifact "generation"). */
interface Generation {
  model: string;
  text: string;
  code?: string;
  tests?: TestCase[];
  rejected?: string;
  /** Why the answer was refused (artifacts written before this field existed: no_code). */
  rejectedKind?: RefusalKind;
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
  const result = await autorunLoop(run, ctx, emitter, { model: run.request.model, maxAttempts: run.request.maxAttempts ?? 3 });
  return { status: result.succeededAttempt !== null ? 'succeeded' : 'failed', result };
};

export interface LoopOptions {
  model?: string;
  maxAttempts: number;
  /** Namespaces this loop's artifacts when one run holds several loops (evaluations: model and sample). */
  key?: string;
}

/** The write → test → repair loop; resumable from its artifacts. */
export async function autorunLoop(run: RunDoc, ctx: RunContext, emitter: JobEmitter, opts: LoopOptions): Promise<AutorunResult & { generationMs: number }> {
  const { maxAttempts, key } = opts;
  const stored = indexArtifacts(await ctx.artifacts.list(run._id), key);
  const spent = { inputTokens: 0, outputTokens: 0, costUsd: 0, sandboxMs: 0, generationMs: 0 };
  let prior: PriorAttempt | undefined;
  let last: { gen: Generation; exec?: CodeResult; failure?: AutorunFailure } | undefined;
  // Tests the model wrote in an earlier attempt stand unless a repair brings new ones.
  let writtenTests: TestCase[] | undefined;

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    emitter.emit({ type: 'step', data: { name: 'attempt', attempt, ...(key ? { key } : {}) } });
    const gen = stored.get(`${attempt}:generation`) ?? (await generate(run, ctx, emitter, attempt, opts, prior, writtenTests));
    spent.generationMs += gen.latencyMs;
    spent.inputTokens += gen.usage.inputTokens;
    spent.outputTokens += gen.usage.outputTokens;
    spent.costUsd += gen.costUsd;
    if (gen.rejected || !gen.code) {
      emitter.emit({ type: 'step', data: { name: 'rejected', attempt, reason: gen.rejected, ...(key ? { key } : {}) } });
      const failure: AutorunFailure = { attempt, kind: gen.rejectedKind ?? 'no_code', message: gen.rejected ?? 'the answer contained no code' };
      prior = { answer: gen.text, failures: describeFailure(failure) };
      last = { gen, failure };
      continue;
    }
    if (run.request.tests === undefined && gen.tests) writtenTests = gen.tests;
    const exec =
      (stored.get(`${attempt}:execution`) as CodeResult | undefined) ?? (await execute(run, ctx, emitter, attempt, gen, key));
    spent.sandboxMs += exec.wallMs;
    const passed = stateForTests(exec) === 'succeeded';
    emitter.emit({ type: 'step', data: { name: 'tested', attempt, passed, ...(key ? { key } : {}) } });
    if (passed) return { ...summary(attempt, attempt, { gen, exec }, spent), generationMs: spent.generationMs };
    const failure = failureOf(attempt, exec);
    last = { gen, exec, failure };
    prior = { answer: gen.text, failures: describeFailure(failure) };
  }
  return { ...summary(null, maxAttempts, last, spent), generationMs: spent.generationMs };
}

async function generate(
  run: RunDoc,
  ctx: RunContext,
  emitter: JobEmitter,
  attempt: number,
  opts: LoopOptions,
  prior?: PriorAttempt,
  writtenTests?: TestCase[],
): Promise<Generation> {
  const req = run.request;
  const tag = opts.key ? `${opts.key}/attempt-${attempt}` : `attempt-${attempt}`;
  if (opts.model && ctx.ensureModel) {
    // A model not yet on its Ollama server is pulled first; the run links to the pull's progress.
    await ctx.ensureModel(opts.model, ctx.signal, {
      owner: run.owner,
      onPull: (pullId) =>
        emitter.emit({ type: 'step', data: { name: 'model_pull', model: opts.model, pullId, events: `/v1/models/pulls/${pullId}/events` } }),
    });
  }
  const knownTests = req.tests ?? writtenTests;
  const needTests = knownTests === undefined;
  const res = await ctx.llm.chat({
    model: opts.model,
    messages: generationMessages({ language: language(run), task: req.prompt ?? '', givenTests: req.tests, needTests, prior, system: req.system }),
    temperature: req.temperature,
    maxOutputTokens: req.maxOutputTokens,
    signal: ctx.signal,
    onDelta: (delta) => emitter.emit({ type: 'token', data: { model: tag, delta } }),
  });
  const answer = parseAnswer(res.text, { language: language(run), needTests, knownTests });
  const gen: Generation = {
    model: res.model,
    text: res.text,
    usage: res.usage,
    costUsd: res.costUsd ?? 0,
    latencyMs: res.latencyMs,
    ...('rejected' in answer
      ? { rejected: answer.rejected, rejectedKind: answer.kind }
      : { code: answer.code, tests: req.tests ?? answer.tests ?? writtenTests }),
  };
  return (await ctx.artifacts.put(run._id, attempt, 'generation', gen, opts.key)).data;
}

async function execute(
  run: RunDoc,
  ctx: RunContext,
  emitter: JobEmitter,
  attempt: number,
  gen: Generation,
  key?: string,
): Promise<CodeResult> {
  const result = await runTests(ctx, emitter, {
    runId: run._id,
    language: language(run),
    code: gen.code ?? '',
    tests: gen.tests ?? [],
    limits: run.limits,
  });
  return (await ctx.artifacts.put(run._id, attempt, 'execution', result, key)).data;
}

function summary(
  succeededAttempt: number | null,
  attempts: number,
  last: { gen: Generation; exec?: CodeResult; failure?: AutorunFailure } | undefined,
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
    ...(succeededAttempt === null && last?.failure ? { lastFailure: last.failure } : {}),
  };
}

function indexArtifacts(docs: ArtifactDoc[], key?: string): Map<string, any> {
  return new Map(docs.filter((d) => d.key === key).map((d) => [`${d.attempt}:${d.kind}`, d.data]));
}

function language(run: RunDoc): 'python' | 'javascript' {
  return run.request.language === 'javascript' ? 'javascript' : 'python';
}
