import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RateLimitedError, ValidationError } from '../../core/errors';
import { SESSION_JOB } from '../../core/jobs/kinds';
import { admitJobs } from '../../core/jobs/accept';
import { isTerminal } from '../../core/jobs/model';
import { effectiveLimits, type RunRequest } from '../../core/runs';
import { checkSessionRun, type SessionDoc, type SessionRequest, type SessionRunRequest } from '../../core/sessions';
import type { Handler, RequestContext } from '../context';
import { cancelJob } from '../jobs';
import { presentRun } from '../present';
import { admitRuns } from '../quotas';
import { acceptRuns, maxLimits, prepareRun, rejectLimitsAboveMax } from '../run-intake';
import { askHolder, loadOpenSession, loadSession } from './access';
import { presentSession } from './present';
import { waitForSession } from './wait';

/** How long DELETE waits for the holder to remove the container before it answers 202. */
const CLOSE_WAIT_MS = 5_000;
/** How long a client over the session cap is told to wait. */
const CAP_RETRY_AFTER_S = 5;

const isAdmin = (ctx: RequestContext) => ctx.principal.role === 'admin';

/**
 * POST /v1/sessions: 201 with the session `open` once a worker holds its
 * container (within SESSION_OPEN_WAIT_MS), else 202 `starting` (poll it), or
 * `ended` when its sandbox could not start. Over SESSION_MAX_PER_USER open
 * sessions: 429 (the new one is not kept).
 */
export const createSession: Handler = async (ctx) => {
  const request = ctx.body as SessionRequest;
  const c = ctx.deps.config;
  const max = maxLimits(ctx);
  rejectLimitsAboveMax(request, max);
  const over = [
    ...(request.idleTtlMs !== undefined && request.idleTtlMs > c.SESSION_MAX_IDLE_TTL_MS ? [{ path: ['idleTtlMs'], message: `at most ${c.SESSION_MAX_IDLE_TTL_MS}` }] : []),
    ...(request.maxLifetimeMs !== undefined && request.maxLifetimeMs > c.SESSION_MAX_LIFETIME_MS ? [{ path: ['maxLifetimeMs'], message: `at most ${c.SESSION_MAX_LIFETIME_MS}` }] : []),
  ];
  if (over.length > 0) throw new ValidationError('the session asks for more than the server allows', over);
  const now = new Date();
  const doc: SessionDoc = {
    _id: `ses_${Date.now().toString(36)}${randomBytes(10).toString('hex')}`,
    owner: ctx.principal.sub,
    status: 'queued',
    request,
    limits: effectiveLimits(request.limits, max),
    idleTtlMs: request.idleTtlMs ?? Math.min(c.SESSION_IDLE_TTL_MS, c.SESSION_MAX_IDLE_TTL_MS),
    maxLifetimeMs: request.maxLifetimeMs ?? c.SESSION_MAX_LIFETIME_MS,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
  const sessions = ctx.deps.store.sessions;
  await sessions.insert(doc);
  // Inserted first, counted second: of concurrent requests at the cap, none gets past it.
  const active = await sessions.activeIds(doc.owner);
  if (active.indexOf(doc._id) >= c.SESSION_MAX_PER_USER) {
    await sessions.discard([doc._id]);
    throw new RateLimitedError(`you have ${c.SESSION_MAX_PER_USER} open sessions (SESSION_MAX_PER_USER); end one first`, CAP_RETRY_AFTER_S);
  }
  await admitJobs(SESSION_JOB, ctx.deps, [doc]);
  const settled = await waitForSession(ctx, doc._id, 'opened', c.SESSION_OPEN_WAIT_MS);
  const shown = settled ?? doc;
  return {
    status: shown.status === 'running' ? 201 : 202,
    body: presentSession(shown, isAdmin(ctx)),
    headers: { location: `/v1/sessions/${doc._id}` },
  };
};

/** GET /v1/sessions/:id */
export const getSession: Handler = async (ctx) => ({ status: 200, body: presentSession(await loadSession(ctx), isAdmin(ctx)) });

export const listSessionsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();

/** GET /v1/sessions: the caller's sessions, newest first (admins: everyone's). */
export const listSessions: Handler = async (ctx) => {
  const { limit } = ctx.query as z.infer<typeof listSessionsQuery>;
  const items = await ctx.deps.store.sessions.list(isAdmin(ctx) ? undefined : ctx.principal.sub, limit);
  return { status: 200, body: { items: items.map((d) => presentSession(d, isAdmin(ctx))) } };
};

/**
 * DELETE /v1/sessions/:id: ends it and removes its container. 200 once ended
 * (a starting one ends at once), 202 if the holder has not finished within 5 s;
 * 409 when it had already ended.
 */
export const deleteSession: Handler = async (ctx) => {
  const session = await loadSession(ctx); // a session whose holder is gone ends here, and the cancel below is a 409
  const { doc } = await cancelJob(SESSION_JOB, ctx, session);
  const ended = isTerminal(doc.status) ? doc : await waitForSession(ctx, doc._id, 'ended', CLOSE_WAIT_MS);
  return { status: ended ? 200 : 202, body: presentSession(ended ?? doc, isAdmin(ctx)) };
};

/**
 * POST /v1/sessions/:id/runs: a code run in the session's container, handed to
 * the worker holding it. 202 with the run (poll or stream it like any run).
 */
export const createSessionRun: Handler = async (ctx) => {
  const body = ctx.body as SessionRunRequest;
  const session = await loadOpenSession(ctx);
  const language = checkSessionRun(body, session.request.language);
  const request: RunRequest = {
    kind: 'code',
    language,
    code: body.code,
    ...(body.files ? { files: body.files } : {}),
    ...(body.stdin !== undefined ? { stdin: body.stdin } : {}),
    ...(body.outputs ? { outputs: body.outputs } : {}),
    ...(body.limits ? { limits: body.limits } : {}),
    ...(body.metadata ? { metadata: body.metadata } : {}),
    ...(body.callbackUrl ? { callbackUrl: body.callbackUrl } : {}),
  };
  // The session's limits are the maxima of its runs: a run may lower timeoutMs and outputBytes (the sandbox holds it to them too).
  const run = prepareRun(ctx, request, undefined, { limits: session.limits, name: "the session's limits" });
  run.session = { id: session._id, persistent: body.persistent ?? false };
  await admitRuns(ctx, 1);
  await ctx.deps.store.runs.insert(run);
  await acceptRuns(ctx, [run], async () => void (await askHolder(ctx, session, { op: 'run', runId: run._id })));
  return { status: 202, body: presentRun(run), headers: { location: `/v1/runs/${run._id}` } };
};

export const sessionRunsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();

/** GET /v1/sessions/:id/runs: the session's runs, newest first. */
export const listSessionRuns: Handler = async (ctx) => {
  const session = await loadSession(ctx);
  const { limit } = ctx.query as z.infer<typeof sessionRunsQuery>;
  const items = await ctx.deps.store.runs.inSession(session._id, limit);
  return { status: 200, body: { items: items.map(presentRun) } };
};
