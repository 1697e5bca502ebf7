import type { Config } from '../core/config';
import { RUN_JOB } from '../core/jobs/kinds';
import type { RunDoc, RunKind } from '../core/runs';
import type { Executor, RunContext } from './executors/context';
import type { JobContext, JobHandler } from './lifecycle';
import { executeAgent } from './executors/agent';
import { executeAutorun } from './executors/autorun';
import { executeCode } from './executors/code';
import { executeCompare, executeConsensus } from './executors/compare';
import { executeEvaluation } from './executors/evaluation';
import { executeProtocol } from './executors/protocol';

/** Every run kind has its executor: a kind without one does not compile. */
const EXECUTORS: Record<RunKind, Executor> = {
  code: executeCode,
  autorun: executeAutorun,
  agent: executeAgent,
  compare: executeCompare,
  consensus: executeConsensus,
  evaluation: executeEvaluation,
  protocol: executeProtocol,
};

/** The server's caps on the files one run may return (`outputs`). */
export function outputCaps(config: Config): RunDeps['outputCaps'] {
  return { maxFiles: config.RUN_FILES_MAX_COUNT, maxFileBytes: config.RUN_FILES_MAX_FILE_BYTES, maxTotalBytes: config.RUN_FILES_MAX_TOTAL_BYTES };
}

/** What runs need besides the job context; built once per worker. */
export type RunDeps = Omit<RunContext, keyof JobContext>;

/** Runs in the one job lifecycle: each kind's executor carries the run out. */
export function runHandler(deps: RunDeps, concurrency: number): JobHandler<RunDoc> {
  return {
    kind: RUN_JOB,
    concurrency,
    execute: (run, ctx, emitter) => EXECUTORS[run.kind](run, { ...deps, ...ctx }, emitter),
  };
}
