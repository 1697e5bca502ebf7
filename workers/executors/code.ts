import type { JobEmitter } from '../../core/emitter';
import { JobError } from '../../core/jobs/errors';
import { stateForResult, type CodeResult, type RunState } from '../../core/runs';
import type { TestCase } from '../../core/testing';
import type { ExecResult, Language, OutputRequest, SandboxFile, SandboxLimits } from '../../sandbox/types';
import { buildTestProgram, parseTestOutput, supportsTests } from '../testing';
import type { Executor, RunContext } from './context';

/** kind "code": the program in a sandbox; its verdict (and its tests, when given) decide the state. */
export const executeCode: Executor = async (run, ctx, emitter) => {
  const { request } = run;
  const base = {
    runId: run._id,
    language: request.language ?? 'python',
    code: request.code ?? '',
    files: request.files,
    limits: run.limits,
    reuseKey: request.reuse ? run.owner : undefined,
    outputs: request.outputs ? { globs: request.outputs, ...ctx.outputCaps } : undefined,
  };
  if (run.session) {
    if (!ctx.sessions) throw new JobError('session_ended', 'this worker holds no sessions', false);
    const { reuseKey: _reuse, limits, ...rest } = base;
    const exec = await ctx.sessions.run(run.session.id, {
      ...rest,
      limits: { timeoutMs: limits.timeoutMs, outputBytes: limits.outputBytes },
      persistent: run.session.persistent,
      stdin: request.stdin,
      signal: ctx.signal,
      onOutput: (stream, chunk) => emitter.emit({ type: stream, data: { chunk } }),
    });
    const result = await keepFiles(ctx, run._id, exec);
    return { status: stateForResult(result), result };
  }
  if (request.tests) {
    const result = await runTests(ctx, emitter, { ...base, tests: request.tests });
    return { status: stateForTests(result), result };
  }
  const exec = await ctx.sandbox.run({
    ...base,
    stdin: request.stdin,
    signal: ctx.signal,
    onOutput: (stream, chunk) => emitter.emit({ type: stream, data: { chunk } }),
  });
  const result = await keepFiles(ctx, run._id, exec);
  return { status: stateForResult(result), result };
};

/** Stores the files a run made (GridFS) and lists them in its result instead of their bytes. */
export async function keepFiles(ctx: Pick<RunContext, 'runFiles'>, runId: string, exec: ExecResult): Promise<CodeResult> {
  const { files, ...rest } = exec;
  if (!files) return rest;
  return { ...rest, files: await ctx.runFiles.replace(runId, files) };
}

export interface TestRunInput {
  runId: string;
  language: Language;
  code: string;
  files?: SandboxFile[];
  tests: TestCase[];
  limits: SandboxLimits;
  reuseKey?: string;
  outputs?: OutputRequest;
}

/** Runs `code` against `tests` in one sandbox; each test result is also a `test` event. */
export async function runTests(ctx: RunContext, emitter: JobEmitter, input: TestRunInput): Promise<CodeResult> {
  if (!supportsTests(input.language)) throw new Error(`tests are not supported for ${input.language}`);
  const program = buildTestProgram(input.language, input.code, input.tests, input.limits);
  const exec = await ctx.sandbox.run({
    runId: input.runId,
    language: input.language,
    code: program.code,
    files: [...(input.files ?? []), ...program.files],
    stdin: program.stdin,
    limits: input.limits,
    reuseKey: input.reuseKey,
    outputs: input.outputs,
    signal: ctx.signal,
    // The harness's stdout is only its result line; the tests' own output is in their messages.
    onOutput: (stream, chunk) => {
      if (stream === 'stderr') emitter.emit({ type: 'stderr', data: { chunk } });
    },
  });
  const parsed = parseTestOutput(exec.stdout, program.nonce);
  const result: CodeResult = { ...(await keepFiles(ctx, input.runId, exec)), stdout: parsed.stdout };
  if (parsed.outcome) {
    result.tests = parsed.outcome.results;
    if (parsed.outcome.compileError) result.compileError = parsed.outcome.compileError;
    for (const t of parsed.outcome.results) emitter.emit({ type: 'test', data: t });
  }
  return result;
}

/** Succeeded only when the program ran clean and every test passed. */
export function stateForTests(result: CodeResult): RunState {
  const base = stateForResult(result);
  if (base !== 'succeeded') return base;
  const passed = !result.compileError && result.tests !== undefined && result.tests.every((t) => t.passed);
  return passed ? 'succeeded' : 'failed';
}
