import { createHash, randomBytes } from 'node:crypto';
import { ValidationError } from '../core/errors';
import { RUN_JOB } from '../core/jobs/kinds';
import { admitJobs, type Dispatch } from '../core/jobs/accept';
import { effectiveLimits, type RunDoc, type RunKind, type RunRequest } from '../core/runs';
import type { SandboxLimits } from '../sandbox/types';
import type { RequestContext } from './context';
import { checkCallbackUrl, checkModelRefs, requireProvider } from './model-refs';

/**
 * Run intake shared by POST /v1/runs, the batch endpoint and /v1/execute:
 * validation into a run document, then acceptance (first event + job) with a
 * rollback that leaves nothing half-written when the queue is unavailable.
 */
export type NewRun = RunDoc & { requestHash: string };

/** The most a run's limits may be, and how a refusal names them. */
export interface LimitBound {
  limits: SandboxLimits;
  name: string;
}

/**
 * Checks a parsed run request against this server (kinds, models, limits) and builds its document (not yet stored).
 * Its limits are the request's within `bound` (default: the server maxima); unset ones get the bound's.
 */
export function prepareRun(ctx: RequestContext, request: RunRequest, idempotencyKey?: string, bound?: LimitBound): NewRun {
  if (!AVAILABLE_KINDS.includes(request.kind)) throw new ValidationError(`kind "${request.kind}" is not available yet`);
  checkModels(ctx, request);
  const max = bound?.limits ?? maxLimits(ctx);
  rejectLimitsAboveMax(request, max, bound?.name);
  const owner = ctx.principal.sub;
  const now = new Date();
  return {
    // With an Idempotency-Key the id is derived from (owner, key): the unique _id
    // index makes a repeated POST find the first run, even long after its job is gone.
    _id: idempotencyKey ? `run_${sha256(`${owner}\n${idempotencyKey}`).slice(0, 26)}` : newRunId(),
    owner,
    kind: request.kind,
    status: 'queued',
    request,
    limits: effectiveLimits(request.limits, max),
    idempotencyKey,
    callbackUrl: request.callbackUrl,
    requestHash: sha256(JSON.stringify(request)),
    createdAt: now,
    updatedAt: now,
    attempts: 0,
  };
}

/** Appends each stored run's first event and enqueues it; on failure removes the runs and answers 503. */
export async function acceptRuns(ctx: RequestContext, runs: NewRun[], dispatch?: Dispatch<RunDoc>): Promise<void> {
  if (runs.length === 0) return;
  await admitJobs(RUN_JOB, ctx.deps, runs, dispatch);
  for (const r of runs) ctx.deps.metrics.runsCreated.inc({ kind: r.kind, language: r.request.language ?? 'none' });
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

const AVAILABLE_KINDS: RunKind[] = ['code', 'autorun', 'agent', 'compare', 'consensus', 'evaluation', 'protocol'];

/** Kinds that ask a model, so cannot run without an LLM provider (code and protocol runs need none). */
const MODEL_KINDS: readonly RunKind[] = ['autorun', 'agent', 'compare', 'consensus', 'evaluation'];

function checkModels(ctx: RequestContext, request: RunRequest): void {
  checkCallbackUrl(ctx.deps.config, request.callbackUrl);
  if (MODEL_KINDS.includes(request.kind)) requireProvider(ctx.deps.config, [request.models ? 'models' : 'model']);
  checkModelRefs(ctx.deps.config, [
    ...(request.models ?? []).map((m, i) => ({ ref: m, path: ['models', i] })),
    ...(request.judge ? [{ ref: request.judge, path: ['judge'] }] : []),
    ...(request.model ? [{ ref: request.model, path: ['model'] }] : []),
  ]);
}

export function maxLimits(ctx: RequestContext): SandboxLimits {
  const c = ctx.deps.config;
  return {
    timeoutMs: c.SANDBOX_MAX_TIMEOUT_MS,
    memoryMb: c.SANDBOX_MAX_MEMORY_MB,
    cpus: c.SANDBOX_MAX_CPUS,
    pids: c.SANDBOX_MAX_PIDS,
    outputBytes: c.SANDBOX_MAX_OUTPUT_BYTES,
  };
}

/** Limits may only lower the server's maxima (or a session's limits): asking for more is an error, not a silent clamp. */
export function rejectLimitsAboveMax(request: { limits?: Partial<SandboxLimits> }, max: SandboxLimits, name = 'the server maxima'): void {
  const over = Object.entries(request.limits ?? {})
    .filter(([k, v]) => v !== undefined && v > max[k as keyof SandboxLimits])
    .map(([k]) => ({ path: ['limits', k], message: `at most ${max[k as keyof SandboxLimits]}` }));
  if (over.length > 0) throw new ValidationError(`limits exceed ${name}`, over);
}

function newRunId(): string {
  // Time-ordered prefix keeps ids roughly sortable; 80 random bits make them unguessable.
  return `run_${Date.now().toString(36)}${randomBytes(10).toString('hex')}`;
}
