import { z } from 'zod';
import { ValidationError } from './errors';
import { planFiles } from '../sandbox/protocol';
import { LANGUAGES, LIMIT_MINIMA, type ExecResult, type Language, type SandboxFile, type SandboxLimits } from '../sandbox/types';
import type { JobDoc, JobState as RunState } from './jobs/model';
import { prioritySchema } from './jobs/priority';
import { callbackUrlSchema } from './webhooks/target';
import { testCaseSchema, type TestResult } from './testing';
import type { RunFileInfo } from './store/run-files';
import { outputGlobSchema } from './output-globs';

/** The run model shared by the API (producer) and the workers (consumer). */

/**
 * code: run the given program. autorun: a model writes and repairs code against tests.
 * agent: the streaming action protocol. compare/consensus: one prompt to several models.
 * evaluation: the same autorun task across models, scored.
 * protocol: a protocol document (docs/agent-protocol.md) run as written, no model.
 */
export const RUN_KINDS = ['code', 'autorun', 'agent', 'compare', 'consensus', 'evaluation', 'protocol'] as const;
export const LLM_KINDS: readonly RunKind[] = ['compare', 'consensus'];
export type RunKind = (typeof RUN_KINDS)[number];

/** A run's states are the job states (core/jobs/model.ts): runs are the kind that uses all of them. */
export { JOB_STATES as RUN_STATES, TERMINAL_STATES, isTerminal, type JobState as RunState } from './jobs/model';

/** The sandbox's own minima: one rule for the API and the sandbox. */
export const limitsSchema = z
  .object({
    timeoutMs: z.number().int().min(LIMIT_MINIMA.timeoutMs),
    memoryMb: z.number().int().min(LIMIT_MINIMA.memoryMb),
    cpus: z.number().min(LIMIT_MINIMA.cpus),
    pids: z.number().int().min(LIMIT_MINIMA.pids),
    outputBytes: z.number().int().min(LIMIT_MINIMA.outputBytes),
  })
  .partial()
  .strict();

/**
 * The sandbox's file rule (sandbox/protocol.ts planFiles: relative, inside the
 * workdir, unique, not overlapping the main file), applied at submission so a
 * run it would refuse is a 400 and never a failed job.
 */
function checkFiles(body: { language?: Language; code?: string; files?: SandboxFile[] }, ctx: z.RefinementCtx): void {
  for (const [i, f] of (body.files ?? []).entries()) {
    try {
      planFiles(body.language ?? 'bash', body.code ?? '', (body.files ?? []).slice(0, i + 1));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `${err.message}: ${JSON.stringify(f.path)}` });
      return;
    }
  }
}

export const runRequestSchema = z
  .object({
    kind: z.enum(RUN_KINDS).default('code'),
    language: z.enum(LANGUAGES).optional(),
    code: z.string().max(512 * 1024).optional(),
    files: z.array(z.object({ path: z.string().min(1).max(255), content: z.string() }).strict()).max(100).optional(),
    stdin: z.string().max(512 * 1024).optional(),
    /** Structured tests (core/testing.ts): each reports name, passed, message and duration. */
    tests: z.array(testCaseSchema).min(1).max(200).optional(),
    prompt: z.string().min(1).max(64 * 1024).optional(),
    /** `provider/model`, or "auto": the cheapest healthy chat model (by configured prices). */
    model: z.string().min(1).max(200).optional(),
    /** compare / consensus (2–8) and evaluation (1–8): the models, each `provider/model` or "auto". */
    models: z.array(z.string().min(1).max(200)).min(1).max(8).optional(),
    /** evaluation: autoruns per model (default 1). */
    samples: z.number().int().min(1).max(10).optional(),
    /** consensus: the model that synthesises the answers (default "auto"). */
    judge: z.string().min(1).max(200).optional(),
    system: z.string().max(16 * 1024).optional(),
    /** agent: model turns at most (default 8). */
    maxSteps: z.number().int().min(1).max(50).optional(),
    /** agent: stop once the model calls have used this many tokens (input + output). */
    tokenBudget: z.number().int().min(100).max(10_000_000).optional(),
    /** agent: wall-clock budget of the whole run (default 120000). */
    timeBudgetMs: z.number().int().min(1000).max(3_600_000).optional(),
    /** autorun: how many write → test → repair attempts at most (default 3). */
    maxAttempts: z.number().int().min(1).max(10).optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxOutputTokens: z.number().int().min(1).max(32_768).optional(),
    limits: limitsSchema.optional(),
    /** kind code: files to keep once the program exits, as globs relative to /workspace (`*.png`, `out/**`). */
    outputs: z.array(outputGlobSchema).min(1).max(20).optional(),
    /** Opt-in: run in a container kept warm for this owner's runs (faster; not a fresh container). */
    reuse: z.boolean().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    /** protocol: the document whose actions run, as a model's turn would (docs/agent-protocol.md). */
    protocolText: z.string().min(1).max(256 * 1024).optional(),
    /** protocol: values the document references as `$key` (or `$key.field`), as if earlier actions had produced them. */
    context: z
      .record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a context key is 1–64 letters, digits, _ or - (what `$key` can name)'), z.unknown())
      .optional(),
    /** critical · high · medium (default) · low: strict classes, owners take turns within one (core/jobs/priority.ts). */
    priority: prioritySchema.optional(),
    /** POSTed the terminal state, signed (Standard Webhooks); see README "Webhooks". */
    callbackUrl: callbackUrlSchema.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    checkFiles(body, ctx);
    const need = (field: keyof typeof body, ok: boolean) => {
      if (!ok) ctx.addIssue({ code: 'custom', path: [field], message: `required for kind "${body.kind}"` });
    };
    if (body.kind === 'code') {
      need('language', body.language !== undefined);
      need('code', (body.code ?? '').length > 0);
      if (body.tests && body.language === 'bash') {
        ctx.addIssue({ code: 'custom', path: ['tests'], message: 'tests are supported for python and javascript' });
      }
    }
    if (body.outputs && body.kind !== 'code') ctx.addIssue({ code: 'custom', path: ['outputs'], message: 'only for kind "code"' });
    if (body.kind === 'agent') need('prompt', body.prompt !== undefined);
    if (body.kind === 'autorun') {
      need('prompt', body.prompt !== undefined);
      need('language', body.language === 'python' || body.language === 'javascript');
    }
    if (body.kind === 'compare' || body.kind === 'consensus') {
      need('prompt', body.prompt !== undefined);
      need('models', (body.models?.length ?? 0) >= 2);
    }
    if (body.kind === 'evaluation') {
      need('prompt', body.prompt !== undefined);
      need('models', body.models !== undefined);
      need('tests', body.tests !== undefined);
      need('language', body.language === 'python' || body.language === 'javascript');
    }
    if (body.kind === 'protocol') need('protocolText', body.protocolText !== undefined);
    if (body.kind !== 'protocol') {
      for (const field of ['protocolText', 'context'] as const) {
        if (body[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'only for kind "protocol"' });
      }
    }
  });

export type RunRequest = z.infer<typeof runRequestSchema>;

/** One model's answer in a compare or consensus run. */
export interface ModelAnswer {
  /** What the request named (`provider/model` or "auto"). */
  requested: string;
  /** `provider/model` that actually answered (after fallback or auto selection). */
  model?: string;
  text?: string;
  latencyMs: number;
  usage?: { inputTokens: number; outputTokens: number };
  costUsd?: number;
  /** Set when this model could not answer. */
  error?: string;
}

export interface LlmTotals {
  inputTokens: number;
  outputTokens: number;
  /** Sum over answers whose model has a configured price. */
  costUsd: number;
}

export interface CompareResult {
  answers: ModelAnswer[];
  totals: LlmTotals;
}

export interface ConsensusResult extends CompareResult {
  judge: ModelAnswer;
  /** Mean pairwise word-set similarity (Jaccard) of the answers: 1 = identical vocabulary, 0 = disjoint. */
  agreement: number;
}

/** A code run's result; with tests, their per-test results too. */
export interface CodeResult extends Omit<ExecResult, 'files'> {
  /** The files `outputs` matched (bytes: GET /v1/runs/:id/files/<path>); `filesDropped` counts those a cap left out. */
  files?: RunFileInfo[];
  tests?: TestResult[];
  /** The code did not compile, so no test ran. */
  compileError?: string;
}

/** kind "autorun": which attempt passed, and what all attempts spent. Per-attempt detail is in the artifacts. */
export interface AutorunResult {
  /** The attempt whose code passed every test; null when none did. */
  succeededAttempt: number | null;
  attempts: number;
  /** The last attempt's code and test results. */
  code?: string;
  tests?: TestResult[];
  compileError?: string;
  /** `provider/model` that wrote the last attempt. */
  model?: string;
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number;
  /** Wall time spent in sandboxes over all attempts. */
  sandboxMs: number;
  /**
   * Why the last failed attempt failed (absent when an attempt passed): the answer
   * held no usable code or tests, the code did not compile, tests failed (which,
   * and their messages), or the run itself ended badly (timeout, crash).
   */
  lastFailure?: {
    attempt: number;
    kind: 'no_code' | 'wrong_language' | 'no_tests' | 'compile_error' | 'tests_failed' | 'run_failed';
    message: string;
    failedTests?: { name: string; status: TestResult['status']; message: string }[];
  };
}

/** kind "agent": the final response and what the run did and spent. */
export interface AgentResult {
  response?: string;
  /** final_response, or the budget that ended the run. */
  stoppedBy: 'final_response' | 'max_steps' | 'token_budget' | 'time_budget' | 'malformed_output';
  steps: number;
  actions: { id: string; type: string; ok: boolean; startedAt: number; finishedAt: number; error?: string }[];
  /** Turns that broke the protocol and got a corrective prompt (docs/agent-protocol.md). */
  malformedTurns?: number;
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number;
}

/** kind "evaluation": per model, how often its autoruns passed and what they cost. */
export interface EvaluationResult {
  models: {
    model: string;
    samples: number;
    passed: number;
    /** passed / samples, in [0, 1]. */
    passRate: number;
    /** Mean model time per sample (all attempts' generations). */
    meanLatencyMs: number;
    meanSandboxMs: number;
    usage: { inputTokens: number; outputTokens: number };
    costUsd: number;
    /** Set when this model could not answer (its provider failed); its remaining samples count as failed. */
    error?: string;
  }[];
}

/** kind "protocol": each action's outcome and output, and what of the document could not run. */
export interface ProtocolResult {
  /** The text of the document's `<response final="true">`, if it has one. */
  response?: string;
  actions: AgentResult['actions'];
  /** Successful actions' outputs by action id (what `$id` refers to). */
  outputs: Record<string, unknown>;
  /** Elements that broke the protocol or could not be scheduled; empty when the document is well formed. */
  malformed: string[];
}

export type RunResult = CodeResult | CompareResult | ConsensusResult | AutorunResult | AgentResult | EvaluationResult | ProtocolResult;

export interface RunDoc extends JobDoc {
  _id: string;
  owner: string;
  kind: RunKind;
  status: RunState;
  request: RunRequest;
  /** The limits the run gets: the request's, clamped to the server maxima. */
  limits: SandboxLimits;
  idempotencyKey?: string;
  /** The saved agent (core/agents.ts) whose auto-run this is; kept when the agent is deleted. */
  agentId?: string;
  /** A run in a session (core/sessions.ts): it runs in that session's container, on the worker holding it. */
  session?: { id: string; persistent: boolean };
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  /** Processing attempts so far (a worker crash or infra failure adds one). */
  attempts: number;
  cancelRequested?: boolean;
  result?: RunResult;
  error?: { code: string; message: string };
}

/** Maps a sandbox verdict to the run's terminal state. */
export function stateForResult(result: Pick<ExecResult, 'verdict'>): RunState {
  switch (result.verdict) {
    case 'ok':
      return 'succeeded';
    case 'timeout':
      return 'timed_out';
    case 'killed':
      return 'cancelled';
    default:
      return 'failed';
  }
}

/** A request may only lower the server's maxima; unset values get the maxima. */
export function effectiveLimits(requested: z.infer<typeof limitsSchema> | undefined, max: SandboxLimits): SandboxLimits {
  const pick = <K extends keyof SandboxLimits>(k: K) => Math.min(requested?.[k] ?? max[k], max[k]);
  return {
    timeoutMs: pick('timeoutMs'),
    memoryMb: pick('memoryMb'),
    cpus: pick('cpus'),
    pids: pick('pids'),
    outputBytes: pick('outputBytes'),
  };
}
