/**
 * Start-up checks of the parts Paddock depends on, run before anything is
 * started, in parallel, each bounded by a few seconds. A missing part is a
 * `ConfigError` with one line per problem, naming the variable to fix and its
 * value (URLs without credentials), so `npm start` fails fast and readably
 * instead of printing "Paddock is up" and failing every run later.
 */
import { MongoClient } from 'mongodb';
import { Redis } from 'ioredis';
import { imageExists, pingDocker } from '../sandbox';
import type { Config } from './config';
import { ConfigError } from './errors';

/** Bound on each probe. MongoDB's server selection gets a little less, so its own error (which says why) wins. */
const PROBE_TIMEOUT_MS = 5000;

/** What to check: a given REDIS_URL / MONGO_URL (unset ones are started locally), Docker for worker roles. */
export type PreflightConfig = Pick<Config, 'REDIS_URL' | 'MONGO_URL' | 'PADDOCK_ROLE' | 'DOCKER_SOCKET' | 'SANDBOX_IMAGE'>;

/** Throws one ConfigError listing every part that does not answer. */
export async function preflight(config: PreflightConfig): Promise<void> {
  const checks: Promise<string | null>[] = [];
  if (config.REDIS_URL) checks.push(problem(() => probeRedis(config.REDIS_URL!)));
  if (config.MONGO_URL) checks.push(problem(() => probeMongo(config.MONGO_URL!)));
  if (config.PADDOCK_ROLE !== 'api') checks.push(problem(() => probeDocker(config.DOCKER_SOCKET, config.SANDBOX_IMAGE)));
  const problems = (await Promise.all(checks)).filter((p): p is string => p !== null);
  if (problems.length === 1) throw new ConfigError(problems[0]!);
  if (problems.length > 1) throw new ConfigError(`${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}

async function problem(check: () => Promise<void>): Promise<string | null> {
  try {
    await check();
    return null;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

/** Connects once (no retries: ioredis would retry forever) and pings. */
export async function probeRedis(url: string): Promise<void> {
  const shown = `REDIS_URL=${redactUrl(url)}`;
  if (!/^rediss?:\/\//i.test(url)) throw new ConfigError(`${shown}: not a redis:// or rediss:// URL`);
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // connect() only says "Connection is closed."; the reason comes as an 'error' event.
  let reason: Error | undefined;
  client.on('error', (err: Error) => (reason ??= err));
  try {
    await withTimeout(client.connect().then(() => client.ping()), PROBE_TIMEOUT_MS + 1000);
  } catch (err) {
    throw new ConfigError(`${shown}: cannot connect to Redis (${detail(reason ?? err, url)})`);
  } finally {
    client.disconnect();
  }
}

export async function probeMongo(url: string): Promise<void> {
  const shown = `MONGO_URL=${redactUrl(url)}`;
  let client: MongoClient;
  try {
    client = new MongoClient(url, { serverSelectionTimeoutMS: PROBE_TIMEOUT_MS - 1000, connectTimeoutMS: PROBE_TIMEOUT_MS - 1000 });
  } catch (err) {
    throw new ConfigError(`${shown}: not a MongoDB connection string (${detail(err, url)})`);
  }
  try {
    await withTimeout(
      client.connect().then(() => client.db('admin').command({ ping: 1 })),
      PROBE_TIMEOUT_MS,
    );
  } catch (err) {
    throw new ConfigError(`${shown}: cannot connect to MongoDB (${detail(err, url)})`);
  } finally {
    await client.close().catch(() => {});
  }
}

/** The engine answers at DOCKER_SOCKET and has SANDBOX_IMAGE (Paddock never pulls). */
export async function probeDocker(socketPath: string, image: string): Promise<void> {
  try {
    await withTimeout(pingDocker(socketPath), PROBE_TIMEOUT_MS);
  } catch (err) {
    throw new ConfigError(
      `DOCKER_SOCKET=${socketPath}: cannot reach the Docker Engine (${detail(rootCause(err))}); ` +
        'start dockerd (npm run setup) or set DOCKER_SOCKET to its socket',
    );
  }
  let found: boolean;
  try {
    found = await withTimeout(imageExists(socketPath, image), PROBE_TIMEOUT_MS);
  } catch (err) {
    throw new ConfigError(`DOCKER_SOCKET=${socketPath}: cannot inspect SANDBOX_IMAGE=${image} (${detail(err)})`);
  }
  if (!found) {
    throw new ConfigError(
      `SANDBOX_IMAGE=${image}: no such image in the Docker Engine at ${socketPath}; ` +
        'build it with `npm run setup` (docker/sandbox/build-offline.sh), or set SANDBOX_IMAGE to an image that exists',
    );
  }
}

/**
 * A URL without credentials: the user-info part is dropped and query
 * parameters that look like secrets are masked. Unparseable input is returned
 * with anything before an '@' removed.
 */
export function redactUrl(url: string): string {
  const m = url.match(/^([a-z][a-z0-9+.-]*:\/\/)(?:[^@/?#]*@)?([^?#]*)(\?[^#]*)?/i);
  if (!m) return url.replace(/^[^@]*@/, '');
  const [, scheme, rest, query] = m;
  const params = query
    ?.slice(1)
    .split('&')
    .map((kv) => (/^[^=]*(pass|secret|token|key)[^=]*=/i.test(kv) ? `${kv.split('=')[0]}=***` : kv))
    .join('&');
  return `${scheme}${rest}${params ? `?${params}` : ''}`;
}

/** One line from a foreign error, with any password from `url` masked. */
function detail(err: unknown, url?: string): string {
  let text = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim() || 'unknown error';
  const password = url?.match(/^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:([^@/]+)@/i)?.[1];
  if (password) text = text.split(password).join('***').split(decodeURIComponent(password)).join('***');
  return text;
}

/** Docker errors arrive wrapped (SandboxInfraError around dockerode's); the inner message is the useful one. */
function rootCause(err: unknown): unknown {
  let e = err;
  while (e instanceof Error && e.cause !== undefined) e = e.cause;
  return e;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
