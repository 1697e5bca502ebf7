import { z } from 'zod';
import type { ErrorCode } from '../core/errors';
import pkg from '../package.json';
import type { Route } from './routes';

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the route table
 * (api/routes.ts): every route with its method, summary, path parameters, query
 * parameters and request body — the last two converted from the very zod schemas
 * app.ts validates with (`z.toJSONSchema`, JSON Schema 2020-12, OpenAPI 3.1's
 * dialect) — its bearer auth and its error responses. Success bodies have no zod
 * schema: ROUTE_DOCS describes them loosely, and says so.
 */

type Json = Record<string, unknown>;

/** Every code of the stable error body; `Exclude` below fails to compile when core/errors.ts grows one. */
const ERROR_CODES = ['validation_error', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'payload_too_large', 'rate_limited', 'unavailable', 'session_ended', 'internal'] as const satisfies readonly ErrorCode[];
const allCodesListed: Exclude<ErrorCode, (typeof ERROR_CODES)[number]> extends never ? true : never = true;
void allCodesListed;

/** The error responses, by status: the name under components/responses, the code the body carries, when it happens. */
const ERRORS: Record<number, { name: string; code: ErrorCode; description: string }> = {
  400: { name: 'ValidationError', code: 'validation_error', description: 'The request is invalid: a field, a query parameter (unknown or repeated ones too), a path parameter, a header or the JSON itself. `details` lists the problems by path where there are several.' },
  401: { name: 'Unauthorized', code: 'unauthorized', description: 'No bearer token, or one that does not verify (signature, expiry, issuer, audience, claims).' },
  403: { name: 'Forbidden', code: 'forbidden', description: 'The token is valid but this route needs the admin role.' },
  404: { name: 'NotFound', code: 'not_found', description: 'No such resource, or one the caller may not see (another user\'s is a 404, not a 403).' },
  409: { name: 'Conflict', code: 'conflict', description: 'The resource is in a state that does not allow this.' },
  413: { name: 'PayloadTooLarge', code: 'payload_too_large', description: 'The request body is larger than MAX_BODY_BYTES.' },
  415: { name: 'UnsupportedMediaType', code: 'validation_error', description: 'The body is not `application/json` in UTF-8, or its Content-Encoding is not identity, gzip, deflate or br.' },
  429: { name: 'RateLimited', code: 'rate_limited', description: 'Too many requests: over a submission quota, or a limit of a proxy in front of the API. Retry-After, when sent, gives the seconds to wait.' },
  500: { name: 'Internal', code: 'internal', description: 'A fault in Paddock; logged on the server, never shown (no stack trace).' },
  503: { name: 'Unavailable', code: 'unavailable', description: 'A part this request needs (MongoDB, Redis, …) is unavailable, and the message names it; try again.' },
};

/** What zod does not say about a route: success responses (loosely), extra headers and error causes. */
interface RouteDoc {
  /** Success status → description (a loosely described JSON object), or a full response object. */
  ok: Record<number, string | Json>;
  /** When the route answers 409. */
  conflict?: string;
  /** When it answers 503, beyond MongoDB or Redis being down (every authenticated route). */
  unavailable?: string;
  /** When it answers 429, beyond a proxy's limit (every route). */
  rateLimited?: string;
  /** When it answers 404 beyond an unknown path parameter. */
  notFound?: string;
  /** SSE routes: the event types the stream carries. */
  events?: string[];
  headers?: Json[];
  description?: string;
}

const LOOSE = ' Described loosely: there is no schema for this body (README "HTTP API" has the fields).';
const QUEUE_DOWN = 'the queue (Redis) refused the job; nothing was stored';
const NO_OLLAMA = 'no Ollama server is configured (OLLAMA_URL or a provider of type ollama)';
const QUOTA = 'over your submission quota (QUOTAS: active runs, runs per minute)';
const SESSION_NOT_OPEN = '`session_ended` (with `details.endReason`) when the session has ended; `conflict` while it is still starting';
const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Replays the first run submitted with this key by the same owner (even after its job is gone) instead of creating another.',
  schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
};

const ROUTE_DOCS: Record<string, RouteDoc> = {
  'get /health': { ok: { 200: { description: 'The process is up.', content: json({ type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] }) } } },
  'get /ready': { ok: { 200: readiness('Every part answers.'), 503: readiness('A part does not answer (this body, not the error body).') } },
  'post /v1/runs': {
    ok: { 202: 'Accepted: the run `{id, status: "queued", links, …}`, with a Location header. A replay for a known Idempotency-Key is the first run, with `idempotent-replayed: true`.' },
    headers: [IDEMPOTENCY_KEY],
    conflict: 'the Idempotency-Key was used with a different request body',
    unavailable: `${QUEUE_DOWN}; or a run with this Idempotency-Key is still being created`,
    rateLimited: QUOTA,
  },
  'post /v1/runs/batch': {
    ok: { 202: '`{accepted, rejected, items}`: `items[i]` is run i as accepted, or `{index, error: {code, message, details}}` (`rate_limited` for a valid run beyond the quota). Each element of `runs` is a POST /v1/runs body, validated on its own.' },
    unavailable: QUEUE_DOWN,
    rateLimited: `${QUOTA}: none of the runs fits`,
  },
  'get /v1/runs': { ok: { 200: '`{items: [run], nextCursor}`, newest first; pass nextCursor as `cursor` for the next page.' } },
  'get /v1/runs/:id': { ok: { 200: 'The run: `{id, owner, kind, status, language, limits, attempts, result?, error?, request, links, …}`.' } },
  'delete /v1/runs/:id': {
    ok: { 200: 'It was queued: now `cancelled` (the run).', 202: 'It is running: the worker kills its container; poll or stream for `cancelled` (the run).' },
    conflict: 'the run already ended',
  },
  'get /v1/runs/:id/logs': { ok: { 200: '`{items: [{seq, type, data, ts}], nextAfter}`: events after `after`, oldest first.' } },
  'get /v1/runs/:id/events': { ok: {}, events: ['status', 'stdout', 'stderr', 'token', 'step', 'test', 'result', 'end'] },
  'get /v1/runs/:id/artifacts': { ok: { 200: 'Per-attempt artifacts of autorun, agent and evaluation runs: what the model wrote and what the sandbox made of it.' } },
  'get /v1/languages': {
    ok: { 200: '`{image, probedAt, languages: [{name, runtime, version, mainFile, structuredTests}], limits: {maxima, minima, tmpfsMb}}`: versions as a worker found them in the sandbox image (null until one has started).' },
  },
  'get /v1/integrations': { ok: { 200: '`{items}`: each LLM provider with type, health, latency, model count, circuit state.' } },
  'post /v1/integrations/test': {
    ok: { 200: '`{success: true, response, latency_ms, model_used}` or `{success: false, error, latency_ms}`.' },
    notFound: 'no configured provider has this integration_id',
  },
  'get /v1/models/available': { ok: { 200: '`{items}`: configured models across providers, with capabilities and prices.' } },
  'post /v1/execute': {
    ok: { 200: 'An LLM capability answered: `{capability, rule, result}`.', 202: 'A code run was queued: `{capability, rule, run}`.' },
    unavailable: QUEUE_DOWN,
    rateLimited: `a code run that is ${QUOTA}`,
  },
  'post /v1/experiments': { ok: { 202: 'Accepted: the experiment `{id, status: "queued", links, …}`, with a Location header.' }, unavailable: QUEUE_DOWN },
  'get /v1/experiments': { ok: { 200: '`{items: [experiment], nextCursor}`, newest first.' } },
  'get /v1/experiments/:id': { ok: { 200: 'The experiment: request, status, `iterations`, `totals`, links.' } },
  'patch /v1/experiments/:id': { ok: { 200: 'The experiment, updated.' } },
  'delete /v1/experiments/:id': {
    ok: { 200: 'Cancelled (it was queued; the experiment), or with `purge=true` deleted: `{id, deleted, messages}`.', 202: 'It is running: the call in flight is aborted; poll or stream for `cancelled`.' },
    conflict: 'cancel: the experiment already ended; purge: it has not ended yet (cancel first)',
  },
  'get /v1/experiments/:id/status': { ok: { 200: 'A small poll view: state, the iteration in progress and its message count, totals.' } },
  'get /v1/experiments/:id/events': { ok: {}, events: ['status', 'iteration', 'token', 'message', 'error', 'end'] },
  'get /v1/experiments/:id/conversations': { ok: { 200: '`{items}`: one entry per iteration with its totals and termination.' } },
  'get /v1/experiments/:id/conversations/:iteration': { ok: { 200: 'That iteration with its messages in order.' }, notFound: 'the experiment has no such iteration (yet)' },
  'get /v1/experiments/:id/export': { ok: { 200: 'Everything as one JSON document (`format: paddock.experiment.v1`).' } },
  'get /v1/models': { ok: { 200: '`{server, items}`: the models installed on the Ollama server.' }, unavailable: NO_OLLAMA },
  'get /v1/models/version': { ok: { 200: '`{server, version}`.' }, unavailable: NO_OLLAMA },
  'get /v1/models/catalog': { ok: { 200: '`{items}`: a curated static list with sizes and capabilities.' } },
  'post /v1/models/pulls': {
    ok: { 202: 'The pull `{id, status, progress, joined, links}`: while a pull of that model on that server is active, every POST joins it.' },
    unavailable: `${NO_OLLAMA}; or ${QUEUE_DOWN}; or the pull of this model is changing state`,
  },
  'get /v1/models/pulls': { ok: { 200: '`{items: [pull], nextCursor}`.' } },
  'get /v1/models/pulls/:id': { ok: { 200: 'The pull with its progress `{percent, completedBytes, totalBytes, bytesPerSecond, etaSeconds, status, phase, layers}`.' } },
  'delete /v1/models/pulls/:id': {
    ok: { 200: 'It was queued: now `cancelled` (the pull).', 202: 'It is running: the download is closed; poll or stream for `cancelled`.' },
    conflict: 'the pull already ended',
  },
  'get /v1/models/pulls/:id/events': { ok: {}, events: ['status', 'progress', 'retry', 'error', 'end'] },
  'post /v1/sessions': {
    ok: {
      201: 'Open: a worker holds its container. The session `{id, status: "open", language, limits, idleTtlMs, maxLifetimeMs, expiresAt, links, …}`, with a Location header.',
      202: 'Not open within SESSION_OPEN_WAIT_MS: `status` is `starting` (poll GET), or `ended` with `endReason: not_started` and `error` when its sandbox could not start.',
    },
    unavailable: QUEUE_DOWN,
    rateLimited: 'you have SESSION_MAX_PER_USER sessions starting or open; the new one was not kept',
  },
  'get /v1/sessions': { ok: { 200: '`{items: [session]}`, newest first.' } },
  'get /v1/sessions/:id': { ok: { 200: 'The session: `status` starting · open · ended, `endReason` once ended (closed, idle_timeout, max_lifetime, worker_shutdown, worker_lost, container_lost, run_stopped, not_started).' } },
  'delete /v1/sessions/:id': {
    ok: { 200: 'Ended, its container removed (the session, `endReason: closed`).', 202: 'The holder has not confirmed within 5 s; poll for `ended`.' },
    conflict: 'the session already ended',
  },
  'get /v1/sessions/:id/events': { ok: {}, events: ['status', 'session', 'result', 'end'] },
  'post /v1/sessions/:id/runs': {
    ok: { 202: 'The run (a run like any other: GET /v1/runs/:id, its events, cancel), with a Location header.' },
    conflict: '`session_ended` (with `details.endReason`) when the session has ended; `conflict` while it is still starting',
    unavailable: 'the worker holding the session does not answer (yet)',
    rateLimited: QUOTA,
  },
  'get /v1/sessions/:id/runs': { ok: { 200: '`{items: [run]}`, newest first.' } },
  'get /v1/sessions/:id/files': {
    ok: { 200: '`{items: [{path, size}]}`: the regular files under /workspace, path order.' },
    conflict: SESSION_NOT_OPEN,
    unavailable: 'the worker holding the session does not answer (yet)',
  },
  'put /v1/sessions/:id/files/*path': {
    ok: { 201: '`{path, size}`: written (replacing a file at that path), as the program\'s user.' },
    conflict: SESSION_NOT_OPEN,
    unavailable: 'the worker holding the session does not answer (yet)',
  },
  'get /v1/sessions/:id/files/*path': { ok: {}, conflict: SESSION_NOT_OPEN, notFound: 'no regular file at that path, or it is larger than SESSION_FILE_MAX_BYTES' },
  'delete /v1/sessions/:id/files/*path': { ok: { 204: { description: 'Deleted.' } }, conflict: SESSION_NOT_OPEN, notFound: 'no file at that path' },
  'delete /v1/models/:name': {
    ok: { 200: '`{server, model, deleted: true}`.' },
    description: 'Model names containing `/` are URL-encoded in the path.',
    unavailable: NO_OLLAMA,
  },
};

const SSE_DESCRIPTION =
  'Server-Sent Events: replays the events after Last-Event-ID (header, or `?lastEventId=`), then tails live until `end`. ' +
  'Each frame is `id: <seq>` / `event: <type>` / `data: <one JSON object>`; a `: heartbeat` comment comes every 15 s when quiet. ' +
  'The stream opens with `retry: 2000`; reconnect with the last id seen to resume without gaps or repeats.';

/** Builds the document for a route table (the app's own, or a test's). */
export function openApiDocument(routes: readonly Route[]): Json {
  const paths: Record<string, Json> = structuredClone(FIXED_PATHS);
  const shared: Record<string, unknown> = {};
  for (const route of routes) {
    const path = route.path.replace(/[:*](\w+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method]: operation(route, shared) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Paddock',
      version: pkg.version,
      description:
        'Runs untrusted code in hardened Docker sandboxes, through a job queue. Every `/v1` route needs `Authorization: Bearer <JWT>` ' +
        '(HS256; claims `sub`, `role` ∈ {user, admin}, `exp`). Every error is `{"error": {"code", "message", "details"?}}`.',
    },
    tags: [...new Set(['system', ...routes.map((r) => tagOf(r.path))])].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { ...shared, ErrorBody: ERROR_BODY, ValidationIssues: VALIDATION_ISSUES },
      responses: Object.fromEntries(Object.values(ERRORS).map((e) => [e.name, errorResponse(e)])),
    },
  };
}

function operation(route: Route, shared: Record<string, unknown>): Json {
  const doc = ROUTE_DOCS[`${route.method} ${route.path}`];
  const id = operationId(route);
  const stream = 'stream' in route;
  const parameters = [
    ...[...route.path.matchAll(/[:*](\w+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...queryParameters(route.query, `${id}Query`, shared),
    ...(stream ? [LAST_EVENT_ID] : []),
    ...(doc?.headers ?? []),
  ];
  const op: Json = {
    operationId: id,
    summary: route.summary ?? `${route.method.toUpperCase()} ${route.path}`,
    tags: [tagOf(route.path)],
    security: route.access === 'public' ? [] : [{ bearerAuth: [] }],
    ...(doc?.description ? { description: doc.description } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: requestBody(route.body, `${id}Body`, shared) } : {}),
    ...('upload' in route ? { requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } } : {}),
    responses: { ...('download' in route ? download(route.contentType) : successes(doc, stream)), ...errorRefs(route, doc) },
  };
  if (route.access === 'admin') op.description = [op.description, 'Admins only.'].filter(Boolean).join(' ');
  return op;
}

function download(contentType: string): Json {
  return { 200: { description: 'The bytes (a file: with its own content type).', content: { [contentType]: { schema: { type: 'string', format: 'binary' } } } } };
}

function successes(doc: RouteDoc | undefined, stream: boolean): Json {
  if (stream) return { 200: { description: `The event stream. Types: ${doc?.events?.join(', ') ?? 'see README'}.`, content: { 'text/event-stream': { schema: { type: 'string', description: SSE_DESCRIPTION } } } } };
  const ok = doc?.ok ?? { 200: 'A JSON object' };
  return Object.fromEntries(
    Object.entries(ok).map(([status, r]) => [status, typeof r === 'string' ? { description: r + LOOSE, content: json({ type: 'object' }) } : r]),
  );
}

function errorRefs(route: Route, doc: RouteDoc | undefined): Json {
  const statuses: [number, string?][] = [[400]];
  if (route.access !== 'public') statuses.push([401]);
  if (route.access === 'admin') statuses.push([403]);
  if (route.path.includes(':') || doc?.notFound) statuses.push([404, doc?.notFound]);
  if (doc?.conflict) statuses.push([409, doc.conflict]);
  if (route.body) statuses.push([413], [415]);
  if ('upload' in route) statuses.push([413, 'the file is larger than SESSION_FILE_MAX_BYTES']);
  statuses.push([429, doc?.rateLimited], [500]);
  if (route.access !== 'public' || doc?.unavailable) statuses.push([503, doc?.unavailable]);
  const taken = new Set(Object.keys(doc?.ok ?? {}));
  return Object.fromEntries(
    statuses
      .filter(([s]) => !taken.has(String(s)))
      .map(([s, why]) => [String(s), { $ref: `#/components/responses/${ERRORS[s]!.name}`, ...(why ? { description: `${ERRORS[s]!.description} Here: ${why}.` } : {}) }]),
  );
}

/** One query parameter per property of the route's query schema. */
function queryParameters(query: z.ZodObject | undefined, name: string, shared: Record<string, unknown>): Json[] {
  if (!query) return [];
  const schema = toSchema(query, name, shared);
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries((schema.properties ?? {}) as Record<string, Json>).map(([param, s]) => ({
    name: param,
    in: 'query',
    required: required.has(param),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

function requestBody(body: z.ZodType, name: string, shared: Record<string, unknown>): Json {
  // app.ts parses a missing body as {}: the body is optional exactly when {} is valid.
  return { required: !body.safeParse({}).success, content: json(toSchema(body, name, shared)) };
}

/**
 * A zod schema as JSON Schema, as the client sends it (`io: "input"`: defaults
 * make a field optional). Definitions zod factors out (recursive schemas) move
 * to components/schemas under `name`, their references rewritten to point there.
 */
function toSchema(schema: z.ZodType, name: string, shared: Record<string, unknown>): Json {
  const { $schema, $defs, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  void $schema;
  if (!$defs) return rest;
  const moved = (text: string) => text.replace(/"#\/\$defs\/([^"]+)"/g, (_m, def: string) => JSON.stringify(`#/components/schemas/${name}_${def}`));
  for (const [def, value] of Object.entries($defs as Json)) shared[`${name}_${def}`] = JSON.parse(moved(JSON.stringify(value)));
  return JSON.parse(moved(JSON.stringify(rest))) as Json;
}

/** `delete /v1/models/pulls/:id` → `deleteModelsPullsById`; `auto-run` → `AutoRun`. */
function operationId(route: Route): string {
  const words = route.path
    .split('/')
    .filter((s) => s && s !== 'v1')
    .map((s) => (s.startsWith(':') ? `By${cap(s.slice(1))}` : s.split('-').map(cap).join('')));
  return route.method + words.join('');
}

function tagOf(path: string): string {
  const m = path.match(/^\/v1\/(\w+)/);
  return m ? m[1]! : 'system';
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function json(schema: Json): Json {
  return { 'application/json': { schema } };
}

function readiness(description: string): Json {
  const check = { enum: ['ok', 'unavailable'] };
  return {
    description,
    content: json({
      type: 'object',
      required: ['status', 'checks'],
      properties: {
        status: { enum: ['ready', 'unavailable'] },
        checks: {
          type: 'object',
          required: ['redis', 'mongo', 'workers'],
          properties: {
            redis: check,
            mongo: check,
            docker: { ...check, description: 'Only where a worker runs in this process.' },
            workers: { type: 'object', required: ['ok', 'count'], properties: { ok: { type: 'boolean' }, count: { type: 'integer', minimum: 0 } } },
          },
        },
      },
    }),
  };
}

const LAST_EVENT_ID = {
  name: 'Last-Event-ID',
  in: 'header',
  required: false,
  description: 'Resume after this event `seq` (what EventSource sends on reconnect). `?lastEventId=` does the same for clients that cannot set headers.',
  schema: { type: 'string', pattern: '^[0-9]*$' },
};

const VALIDATION_ISSUES = {
  type: 'array',
  description: 'The problems, each at the path of the field (or query parameter) it concerns.',
  items: {
    type: 'object',
    required: ['path', 'message'],
    properties: { path: { type: 'array', items: { type: ['string', 'integer'] } }, message: { type: 'string' } },
  },
};

const ERROR_BODY = {
  type: 'object',
  description: 'The body of every error response.',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { enum: [...ERROR_CODES], description: 'Stable: branch on this (and the status), never on the message.' },
        message: { type: 'string', description: 'For people; never a stack trace.' },
        details: {
          description: 'Optional. For validation errors usually the list of problems by path; otherwise an object that names what was wrong.',
          anyOf: [{ $ref: '#/components/schemas/ValidationIssues' }, { type: 'object' }],
        },
      },
    },
  },
};

function errorResponse(e: { code: ErrorCode; description: string }): Json {
  const schema = { allOf: [{ $ref: '#/components/schemas/ErrorBody' }, { properties: { error: { properties: { code: { const: e.code } } } } }] };
  const res: Json = { description: e.description, content: json(schema) };
  if (e.code === 'unauthorized') res.headers = { 'WWW-Authenticate': { description: 'Always `Bearer`.', schema: { const: 'Bearer' } } };
  if (e.code === 'rate_limited') res.headers = { 'Retry-After': { description: 'Seconds until a retry can succeed, when known.', schema: { type: 'integer', minimum: 0 } } };
  return res;
}

const errorsOf = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/${ERRORS[s]!.name}` }]));

/** Routes outside the route table: mounted directly in app.ts. */
const FIXED_PATHS: Record<string, Json> = {
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (an admin token or METRICS_TOKEN)',
      tags: ['system'],
      security: [{ bearerAuth: [] }],
      responses: { 200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errorsOf(401, 403, 500) },
    },
  },
  '/openapi.json': {
    get: {
      operationId: 'getOpenApi',
      summary: 'This document',
      tags: ['system'],
      security: [],
      responses: { 200: { description: 'The OpenAPI 3.1 document, generated from the route table.', content: json({ type: 'object' }) } },
    },
  },
  '/docs': {
    get: {
      operationId: 'getDocs',
      summary: 'Interactive API docs (Swagger UI, served locally)',
      tags: ['system'],
      security: [],
      responses: { 200: { description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  },
  '/admin/queues': {
    get: {
      operationId: 'getAdminQueues',
      summary: 'Bull Board (admins only)',
      description: 'A browser UI. Credentials in this order: `?token=`, the Authorization header, the board cookie set from `?token=`.',
      tags: ['system'],
      security: [{ bearerAuth: [] }],
      parameters: [{ name: 'token', in: 'query', required: false, description: 'An admin token; moved into an HttpOnly cookie and removed from the URL.', schema: { type: 'string' } }],
      responses: { 200: { description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } }, ...errorsOf(400, 401, 403) },
    },
  },
};
