import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import type { BlockList } from 'node:net';
import { z } from 'zod';
import { ConfigError } from './errors';
import { parseAllowList } from './webhooks/target';
import { parseLlmConfig, type LlmConfig } from '../llm/config';

/**
 * Every setting Paddock reads, in one schema. `loadConfig(env)` is the only place
 * that looks at the environment; the README's configuration table mirrors this.
 */

const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const quotaSchema = z.strictObject({
  /** Queued + running runs one user may have at once; 0: no cap. */
  maxActiveRuns: z.number().int().min(0),
  /** Runs one user may submit per minute (a batch counts each run); 0: no limit. */
  runsPerMinute: z.number().int().min(0),
});
const DEFAULT_QUOTAS = { user: { maxActiveRuns: 2000, runsPerMinute: 1200 }, admin: { maxActiveRuns: 0, runsPerMinute: 0 } };
/** QUOTAS is JSON per role, e.g. {"user": {"maxActiveRuns": 100, "runsPerMinute": 60}}; roles left out keep their defaults. */
const quotasSchema = z.preprocess(
  (v) => {
    if (v === undefined || v === '') return {};
    try {
      return JSON.parse(String(v));
    } catch {
      return v; // not JSON: the object schema below names the problem
    }
  },
  z.strictObject({ user: quotaSchema.partial().optional(), admin: quotaSchema.partial().optional() }).transform((q) => ({
    user: { ...DEFAULT_QUOTAS.user, ...q.user },
    admin: { ...DEFAULT_QUOTAS.admin, ...q.admin },
  })),
);
export type Quota = z.infer<typeof quotaSchema>;

/** The sandbox image this code speaks to (docker/sandbox/build-offline.sh builds it under this tag). */
export const DEFAULT_SANDBOX_IMAGE = 'paddock-sandbox:v6';

export const configSchema = z.object({
  /** Which parts this process runs: the API, the worker, or both. */
  PADDOCK_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  /** Unset: start a private redis-server for this process (development and tests). */
  REDIS_URL: optionalString,
  /** Unset: start the in-process MongoDB stand-in (in memory, not for production). */
  MONGO_URL: optionalString,
  /**
   * Storage of the MongoDB stand-in started when MONGO_URL is unset. `sqlite`: kept in
   * DATA_DIR/mongo/paddock.sqlite, a write is answered once it is on disk, a restart keeps
   * everything. `memory`: kept nowhere, lost on exit (tests).
   */
  MONGO_STANDIN: z.enum(['sqlite', 'memory']).default('sqlite'),
  MONGO_DB: z.string().default('paddock'),
  /**
   * Redis Cluster: REDIS_URL names one node (or several, comma-separated: redis://a:6379,redis://b:6379)
   * and the client discovers the rest. Needs a QUEUE_PREFIX in braces, e.g. {paddock}.
   */
  REDIS_CLUSTER: z.enum(['true', 'false', '1', '0', '']).default('false').transform((v) => v === 'true' || v === '1'),
  /**
   * Namespaces the queues and Redis keys, so several systems can share one Redis. In braces
   * (`{paddock}`) it is a Redis Cluster hash tag: every key of the system hashes to one slot.
   */
  QUEUE_PREFIX: z.string().regex(/^(?:[A-Za-z0-9_-]+|\{[A-Za-z0-9_-]+\})$/, { message: 'letters, digits, _ and -, optionally in braces ({paddock})' }).default('paddock'),
  /** HS256 secret (≥ 32 bytes). Unset: a development secret is created once in DATA_DIR. */
  JWT_SECRET: optionalString,
  JWT_ISSUER: optionalString,
  JWT_AUDIENCE: optionalString,
  /** Where development state (the generated JWT secret) is kept. */
  DATA_DIR: z.string().default('.paddock'),
  WORKER_CONCURRENCY: int(4),
  /** BullMQ lock: a worker that stops renewing it for this long is considered dead and its job is retried. */
  WORKER_LOCK_MS: int(30_000),
  /** How often workers look for jobs whose lock expired. */
  WORKER_STALLED_CHECK_MS: int(15_000),
  /** How often a worker renews its liveness key; sandboxes of a worker silent for 3× this are reaped. */
  WORKER_HEARTBEAT_MS: int(5_000),
  /** Attempts per job when the infrastructure (not the user's program) fails. */
  JOB_ATTEMPTS: int(3),
  /** A run still queued this long without a job (its API node died mid-submit) is enqueued again by a worker. */
  ORPHAN_RUN_AGE_MS: int(60_000),
  /** First SIGTERM: in-flight runs get this long to finish before they are aborted and left for retry. */
  SHUTDOWN_GRACE_MS: int(10_000),
  /** The sandbox image (docker/sandbox); its agent protocol version must match sandbox/protocol.ts. */
  SANDBOX_IMAGE: z.string().default(DEFAULT_SANDBOX_IMAGE),
  DOCKER_SOCKET: z.string().default('/var/run/docker.sock'),
  /** Optional OCI runtime for sandboxes, e.g. runsc (gVisor). */
  SANDBOX_RUNTIME: optionalString,
  SANDBOX_MAX_TIMEOUT_MS: int(10_000),
  SANDBOX_MAX_MEMORY_MB: int(256),
  SANDBOX_MAX_CPUS: z.coerce.number().positive().max(64).default(1),
  SANDBOX_MAX_PIDS: int(64),
  SANDBOX_MAX_OUTPUT_BYTES: int(1_048_576),
  SANDBOX_TMPFS_MB: int(64),
  /** How often orphaned sandbox containers (owner gone) are removed. */
  SANDBOX_REAP_INTERVAL_MS: int(30_000),
  /** Pre-started single-use containers each worker keeps ready (created with the SANDBOX_MAX_* limits); 0: create one per run. */
  SANDBOX_POOL_SIZE: z.coerce.number().int().min(0).max(256).default(4),
  /** How many pool containers a worker creates at once while refilling. */
  SANDBOX_POOL_REFILL_CONCURRENCY: int(2),
  /** A ready pool container idle this long is replaced by a fresh one. */
  SANDBOX_POOL_MAX_IDLE_MS: int(600_000),
  /**
   * The interpreter pool containers start ahead of their run: `auto` (python or
   * javascript, following what runs asked for lately), one language, or `off`.
   */
  SANDBOX_POOL_PRESTART: z.enum(['auto', 'off', 'python', 'javascript']).default('auto'),
  /** `1`: a burst beyond the ready and starting pool containers creates cold ones instead of queueing behind the refill. */
  SANDBOX_POOL_OVERFLOW_COLD: z.enum(['0', '1']).default('0'),
  /** Opt-in warm reuse (`reuse: true`): an owner's idle container is retired after this long. */
  SANDBOX_REUSE_IDLE_MS: int(60_000),
  /** Opt-in warm reuse: idle containers a worker keeps, over all owners (least recently used retired first). */
  SANDBOX_REUSE_MAX_IDLE: z.coerce.number().int().min(0).max(1024).default(8),
  /** Output files (`outputs`): at most this many per run; more matching files are dropped (`filesDropped`). */
  RUN_FILES_MAX_COUNT: z.coerce.number().int().min(1).max(1000).default(50),
  /** Output files: the largest single file kept, in bytes. */
  RUN_FILES_MAX_FILE_BYTES: int(10 * 1024 * 1024),
  /** Output files: the most bytes kept per run, all files together. */
  RUN_FILES_MAX_TOTAL_BYTES: int(25 * 1024 * 1024),
  /** Sessions (POST /v1/sessions): open sessions one user may have at once; more is a 429. */
  SESSION_MAX_PER_USER: int(5),
  /** Sessions one worker process holds at once (each is one container); more wait for a slot on some worker. */
  SESSION_CONCURRENCY: int(8),
  /** A session's idle TTL when the request names none. */
  SESSION_IDLE_TTL_MS: int(10 * 60_000),
  /** The longest idle TTL a request may ask for. */
  SESSION_MAX_IDLE_TTL_MS: int(60 * 60_000),
  /** A session's maximum lifetime when the request names none, and the most it may ask for. */
  SESSION_MAX_LIFETIME_MS: int(60 * 60_000),
  /** How long POST /v1/sessions waits for the sandbox to open before it answers 202 `starting`. */
  SESSION_OPEN_WAIT_MS: int(15_000),
  /** Largest file one PUT /v1/sessions/:id/files/* may upload, and one GET may download. */
  SESSION_FILE_MAX_BYTES: int(8 * 1024 * 1024),
  /** Largest accepted request body. */
  MAX_BODY_BYTES: int(1_048_576),
  /** How long a finished run's live event stream stays in Redis (MongoDB keeps them for good). */
  EVENTS_LIVE_TTL_S: int(3600),
  SSE_HEARTBEAT_MS: int(15_000),
  /** LLM providers: a JSON list inline, or the path of a JSON file (docs/llm-providers.md). Unset: none. */
  LLM_PROVIDERS: optionalString,
  /** Provider names, comma-separated: the fallback order. */
  LLM_FALLBACK: optionalString,
  /** Experiments one worker process runs at once (each is a sequence of LLM calls). */
  EXPERIMENT_CONCURRENCY: int(2),
  /** Default Ollama server for model pulls (e.g. http://127.0.0.1:11434). Unset: the first LLM provider of type ollama. */
  OLLAMA_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** Time limit of short Ollama requests (list, version, delete). */
  OLLAMA_TIMEOUT_MS: int(10_000),
  /** Model pulls one worker process runs at once. */
  PULL_CONCURRENCY: int(2),
  /** Pull progress events: at least this long apart… */
  PULL_PROGRESS_MIN_MS: z.coerce.number().int().min(0).default(500),
  /** …and at least this many percentage points apart (phase changes and 100 % always go out). */
  PULL_PROGRESS_MIN_PERCENT: z.coerce.number().min(0).max(100).default(1),
  /** A pull whose bytes and phase have not moved this long is stalled: its stream is dropped and retried. */
  PULL_STALL_MS: int(120_000),
  /** Stream restarts per pull after an error line, a dropped connection or a stall, before it fails. */
  PULL_MAX_RETRIES: z.coerce.number().int().min(0).max(100).default(5),
  /** First pause before a stream restart; doubles each time, at most 30 s. */
  PULL_RETRY_BASE_MS: int(1_000),
  /**
   * Standard Webhooks secret (`whsec_` + base64) that signs callbacks. Unset: derived
   * from JWT_SECRET (printed by `npm start`), so every node of one system signs alike.
   */
  WEBHOOK_SECRET: optionalString.refine((s) => s === undefined || /^whsec_[A-Za-z0-9+/=]{24,}$/.test(s), { message: 'must be whsec_ followed by base64 (at least 18 bytes)' }),
  /** Comma-separated CIDRs a callbackUrl may target although loopback/private/link-local (e.g. 10.0.0.0/8). */
  WEBHOOK_ALLOW: optionalString,
  /** Delivery attempts per callback (exponential backoff from 1 s) before it is given up. */
  WEBHOOK_ATTEMPTS: int(8),
  WEBHOOK_TIMEOUT_MS: int(5_000),
  /** Per-role submission quotas (JSON): answered 429 rate_limited with Retry-After. */
  QUOTAS: quotasSchema,
  /** Static bearer token a Prometheus scrape may send for /metrics (besides an admin JWT); at least 16 characters. */
  METRICS_TOKEN: optionalString.refine((s) => s === undefined || s.length >= 16, { message: 'must be at least 16 characters' }),
  /** Unset: none. Else this process (any role) also serves GET /metrics on METRICS_HOST:METRICS_PORT, protected by that address (and METRICS_TOKEN when set). */
  METRICS_PORT: z.literal('').transform(() => undefined).or(z.coerce.number().int().min(0).max(65535).optional()),
  METRICS_HOST: z.string().default('127.0.0.1'),
  /** `auto`: readable in a terminal, JSON lines when piped; or force `json` / `pretty`. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface Config extends RawConfig {
  /** True when JWT_SECRET was not given and a development secret was generated. */
  devSecret: boolean;
  JWT_SECRET: string;
  /** Parsed LLM_PROVIDERS / LLM_FALLBACK, API keys resolved from their variables (held as Secret). */
  llm: LlmConfig;
  webhooks: { secret: string; allow: BlockList };
}

export { ConfigError };

/** Parses and validates the environment; fails fast naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const raw = parsed.data;
  if (raw.REDIS_CLUSTER && !raw.QUEUE_PREFIX.startsWith('{')) {
    throw new ConfigError(`QUEUE_PREFIX=${raw.QUEUE_PREFIX}: Redis Cluster (REDIS_CLUSTER=true) needs a prefix in braces, e.g. {${raw.QUEUE_PREFIX}}, so BullMQ's keys share one slot`);
  }
  const llm = parseLlmConfig(env);
  const webhooks = (jwt: string) => ({ secret: raw.WEBHOOK_SECRET ?? derivedWebhookSecret(jwt), allow: allowList(raw.WEBHOOK_ALLOW) });
  if (raw.JWT_SECRET !== undefined) {
    if (Buffer.byteLength(raw.JWT_SECRET) < 32) throw new ConfigError('JWT_SECRET: must be at least 32 bytes');
    return { ...raw, JWT_SECRET: raw.JWT_SECRET, devSecret: false, llm, webhooks: webhooks(raw.JWT_SECRET) };
  }
  let secret: string;
  try {
    secret = devSecret(raw.DATA_DIR);
  } catch (err) {
    throw new ConfigError(`DATA_DIR=${raw.DATA_DIR}: cannot keep the development JWT secret there (${(err as Error).message}); set DATA_DIR to a writable folder, or set JWT_SECRET`);
  }
  return { ...raw, JWT_SECRET: secret, devSecret: true, llm, webhooks: webhooks(secret) };
}

function derivedWebhookSecret(jwtSecret: string): string {
  return `whsec_${createHmac('sha256', jwtSecret).update('paddock webhook signing').digest('base64')}`;
}

function allowList(spec: string | undefined): BlockList {
  try {
    return parseAllowList(spec);
  } catch (err) {
    throw new ConfigError(`WEBHOOK_ALLOW: ${(err as Error).message}`);
  }
}

/** Creates the development secret once and reuses it, so tokens survive restarts. */
function devSecret(dataDir: string): string {
  const file = `${dataDir}/dev-jwt-secret`;
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
  try {
    // 'wx': if another process created it first, theirs wins and we read it back.
    fs.writeFileSync(file, `${secret}\n`, { flag: 'wx', mode: 0o600 });
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return fs.readFileSync(file, 'utf8').trim();
  }
}
