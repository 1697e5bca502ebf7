import { createHash, randomBytes } from 'node:crypto';
import { ConflictError, UnavailableError, ValidationError } from '../../core/errors';
import { enqueueRun } from '../../core/queues';
import { parseModelRef, ProviderError } from '../../core/llm';
import { effectiveLimits, runRequestSchema, type RunDoc, type RunKind, type RunRequest } from '../../core/runs';
import { isDuplicateKey } from '../../core/store';
import type { SandboxLimits } from '../../sandbox/types';
import type { Handler, RequestContext } from '../context';
import { header } from '../guards';
import { presentRun } from '../present';
import { parseOrThrow } from '../validate';

/** POST /v1/runs → 202 {id, status, links}. */
export const createRun: Handler = async (ctx) => {
  const request = parseOrThrow(runRequestSchema, ctx.body ?? {});
  if (!AVAILABLE_KINDS.includes(request.kind)) throw new ValidationError(`kind "${request.kind}" is not available yet`);
  checkModels(ctx, request);
  const max = maxLimits(ctx);
  rejectLimitsAboveMax(request, max);

  const key = idempotencyKey(ctx);
  const owner = ctx.principal.sub;
  const requestHash = sha256(JSON.stringify(request));
  const now = new Date();
  const run: RunDoc & { requestHash: string } = {
    // With an Idempotency-Key the id is derived from (owner, key): the unique _id
    // index makes a repeated POST find the first run, even long after its job is gone.
    _id: key ? `run_${sha256(`${owner}\n${key}`).slice(0, 26)}` : newRunId(),
    owner,
    kind: request.kind,
    status: 'queued',
    request,
    limits: effectiveLimits(request.limits, max),
    idempotencyKey: key,
    requestHash,
    createdAt: now,
    updatedAt: now,
    attempts: 0,
  };
  const { runs } = ctx.deps.store;
  try {
    await runs.insert(run);
  } catch (err) {
    if (!key || !isDuplicateKey(err)) throw err;
    return replay(ctx, run._id, requestHash);
  }
  try {
    await ctx.deps.events.append(run._id, [{ type: 'status', data: { status: 'queued' } }]);
    await enqueueRun(ctx.deps.queues, run._id);
  } catch (err) {
    // Not accepted: leave nothing half-written behind.
    await runs.col.deleteOne({ _id: run._id }).catch(() => undefined);
    ctx.deps.log.error({ err }, 'enqueue failed');
    throw new UnavailableError('the queue is unavailable; try again');
  }
  ctx.deps.metrics.runsCreated.inc({ kind: run.kind, language: request.language ?? 'none' });
  return { status: 202, body: presentRun(run), headers: { location: `/v1/runs/${run._id}` } };
};

const AVAILABLE_KINDS: RunKind[] = ['code', 'autorun', 'agent', 'compare', 'consensus'];

/** Every model named must belong to a configured provider ("auto" picks one at run time). */
function checkModels(ctx: RequestContext, request: RunRequest): void {
  const refs = [
    ...(request.models ?? []).map((m, i) => ({ ref: m, path: ['models', i] })),
    ...(request.judge ? [{ ref: request.judge, path: ['judge'] }] : []),
    ...(request.model ? [{ ref: request.model, path: ['model'] }] : []),
  ];
  const bad = refs.flatMap(({ ref, path }) => {
    if (ref === 'auto') return [];
    try {
      parseModelRef(ref, ctx.deps.config.llm);
      return [];
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      return [{ path, message: err.message }];
    }
  });
  if (bad.length > 0) throw new ValidationError('unknown model', bad);
}

async function replay(ctx: RequestContext, id: string, requestHash: string) {
  const existing = (await ctx.deps.store.runs.get(id)) as (RunDoc & { requestHash?: string }) | null;
  if (!existing) throw new UnavailableError('a run with this Idempotency-Key is being created; try again');
  if (existing.requestHash !== requestHash) {
    throw new ConflictError('this Idempotency-Key was used with a different request body');
  }
  // The first POST may have died between insert and enqueue; enqueueing again is a no-op otherwise.
  if (existing.status === 'queued') await enqueueRun(ctx.deps.queues, id);
  return { status: 202, body: presentRun(existing), headers: { 'idempotent-replayed': 'true' } };
}

function maxLimits(ctx: RequestContext): SandboxLimits {
  const c = ctx.deps.config;
  return {
    timeoutMs: c.SANDBOX_MAX_TIMEOUT_MS,
    memoryMb: c.SANDBOX_MAX_MEMORY_MB,
    cpus: c.SANDBOX_MAX_CPUS,
    pids: c.SANDBOX_MAX_PIDS,
    outputBytes: c.SANDBOX_MAX_OUTPUT_BYTES,
  };
}

/** Limits may only lower the server's maxima: asking for more is an error, not a silent clamp. */
function rejectLimitsAboveMax(request: RunRequest, max: SandboxLimits): void {
  const over = Object.entries(request.limits ?? {})
    .filter(([k, v]) => v !== undefined && v > max[k as keyof SandboxLimits])
    .map(([k]) => ({ path: ['limits', k], message: `at most ${max[k as keyof SandboxLimits]}` }));
  if (over.length > 0) throw new ValidationError('limits exceed the server maxima', over);
}

function idempotencyKey(ctx: RequestContext): string | undefined {
  const key = header(ctx, 'idempotency-key');
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1–200 printable ASCII characters');
  }
  return key;
}

function newRunId(): string {
  // Time-ordered prefix keeps ids roughly sortable; 80 random bits make them unguessable.
  return `run_${Date.now().toString(36)}${randomBytes(10).toString('hex')}`;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
