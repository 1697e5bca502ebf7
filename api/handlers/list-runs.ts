import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import { RUN_KINDS, RUN_STATES } from '../../core/runs';
import { isValidCursor } from '../../core/store/runs';
import { LANGUAGES, type Verdict } from '../../sandbox/types';
import type { Handler } from '../context';
import { presentRun } from '../present';

const VERDICTS = ['ok', 'runtime_error', 'timeout', 'memory_exceeded', 'output_limit', 'killed'] as const satisfies readonly Verdict[];

/** `metadata.<key>` (the key a dotted path of up to 5 names): one filter on `request.metadata`. */
const METADATA_PARAM = /^metadata\.([A-Za-z0-9_-]{1,64}(?:\.[A-Za-z0-9_-]{1,64}){0,4})$/;

/** ISO 8601: a date-time with `Z` or an offset, or a date (midnight UTC). */
const isoTime = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'an ISO 8601 date or date-time, e.g. 2025-01-31T12:00:00Z' });

const declared = {
  status: z.enum(RUN_STATES).optional(),
  kind: z.enum(RUN_KINDS).optional(),
  language: z.enum(LANGUAGES).optional(),
  /** A code run's result verdict. */
  verdict: z.enum(VERDICTS).optional(),
  /** createdAt ≥ (inclusive). */
  createdAfter: isoTime.optional(),
  /** createdAt < (exclusive). */
  createdBefore: isoTime.optional(),
  /** Case-insensitive substring of the prompt or of a top-level string metadata value. */
  q: z.string().min(1).max(200).optional(),
  /** Auto-runs of one saved agent (also after the agent was deleted). */
  agentId: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  /** Admins only: one owner's runs. */
  owner: z.string().max(200).optional(),
};

/**
 * On the route table (api/routes.ts): validated before the handler runs. Besides
 * the declared names, any number of `metadata.<key>=<value>` filters; every other
 * name is a 400, as on every route.
 */
export const listRunsQuery = z
  .object(declared)
  .catchall(z.string().max(500))
  .superRefine((q, ctx) => {
    for (const name of Object.keys(q)) {
      if (Object.hasOwn(declared, name) || METADATA_PARAM.test(name)) continue;
      const known = `accepted: ${Object.keys(declared).join(', ')}, metadata.<key>`;
      ctx.addIssue({ code: 'custom', path: [name], message: `unknown query parameter ${JSON.stringify(name.slice(0, 100))} (${known})` });
    }
    if (q.createdAfter && q.createdBefore && new Date(q.createdAfter) > new Date(q.createdBefore)) {
      ctx.addIssue({ code: 'custom', path: ['createdAfter'], message: 'later than createdBefore' });
    }
  });

/**
 * GET /v1/runs → {items, nextCursor}: the caller's runs (admins: everyone's), newest
 * first, narrowed by every filter given (they combine with AND); the cursor pages
 * through the same filtered list.
 */
export const listRuns: Handler = async (ctx) => {
  const q = ctx.query as z.infer<typeof listRunsQuery>;
  if (q.cursor !== undefined && !isValidCursor(q.cursor)) throw new ValidationError('invalid cursor');
  const owner = ctx.principal.role === 'admin' ? q.owner : ctx.principal.sub;
  const metadata = Object.fromEntries(
    Object.entries(q).flatMap(([name, value]) => {
      const key = METADATA_PARAM.exec(name)?.[1];
      return key !== undefined && typeof value === 'string' ? [[key, value]] : [];
    }),
  );
  const page = await ctx.deps.store.runs.list({
    owner,
    status: q.status,
    kind: q.kind,
    language: q.language,
    verdict: q.verdict,
    createdAfter: q.createdAfter ? new Date(q.createdAfter) : undefined,
    createdBefore: q.createdBefore ? new Date(q.createdBefore) : undefined,
    metadata,
    text: q.q,
    agentId: q.agentId,
    limit: q.limit,
    cursor: q.cursor,
  });
  return { status: 200, body: { items: page.items.map(presentRun), nextCursor: page.nextCursor } };
};
