import { stateForResult } from '../../core/runs';
import type { Executor } from '../run-processor';

/** kind "code": the program in a sandbox; its verdict decides the state. */
export const executeCode: Executor = async (run, ctx, emitter) => {
  const result = await ctx.sandbox.run({
    runId: run._id,
    language: run.request.language ?? 'python',
    code: run.request.code ?? '',
    files: run.request.files,
    stdin: run.request.stdin,
    limits: run.limits,
    reuseKey: run.request.reuse ? run.owner : undefined,
    signal: ctx.signal,
    onOutput: (stream, chunk) => emitter.emit({ type: stream, data: { chunk } }),
  });
  return { status: stateForResult(result), result };
};
