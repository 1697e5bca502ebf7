import { randomUUID } from 'node:crypto';
import { signToken, type Role } from '../../api/auth';
import { loadConfig, type Config } from '../../core/config';
import { silentLogger } from '../../core/logger';
import { startSystem, type System } from '../../scripts/system';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123456789';

/** Environment for a test system: real Redis (from global setup), a fresh queue prefix, port 0. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: process.env.REDIS_URL ?? '',
    MONGO_URL: process.env.MONGO_URL ?? '',
    // Without MONGO_URL a test system's stand-in keeps nothing: no file, no lock to share.
    MONGO_STANDIN: 'memory',
    MONGO_DB: `paddock_test_${randomUUID().slice(0, 8)}`,
    // Scoped by test run, so the global teardown judges only this run's containers.
    QUEUE_PREFIX: `t${process.env.PADDOCK_TEST_RUN ?? 'x'}-${randomUUID().slice(0, 8)}`,
    PORT: '0',
    JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    WORKER_CONCURRENCY: '2',
    SANDBOX_MAX_TIMEOUT_MS: '5000',
    SANDBOX_MAX_MEMORY_MB: '128',
    SHUTDOWN_GRACE_MS: '2000',
    // The pool path is the production path; one ready container keeps Docker's work per test system small.
    SANDBOX_POOL_SIZE: '1',
    ...overrides,
  };
}

export interface TestSystem {
  system: System;
  config: Config;
  url: string;
  token(sub: string, role?: Role): Promise<string>;
  /** JSON request with a bearer token for `sub` (default user "alice"). */
  call(method: string, path: string, opts?: { body?: unknown; as?: string; role?: Role; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  /** Polls GET /v1/runs/:id until `done` holds (deferred on the server's progress, bounded). */
  waitFor(id: string, done: (run: any) => boolean, opts?: { as?: string; timeoutMs?: number }): Promise<any>;
  /** GET /metrics as an admin (the route is protected): the Prometheus text. */
  scrape(): Promise<string>;
  close(): Promise<void>;
}

export async function startTestSystem(overrides: Record<string, string> = {}): Promise<TestSystem> {
  const config = loadConfig(testEnv(overrides));
  const system = await startSystem(config, silentLogger());
  const url = system.api?.url ?? '';
  const token = (sub: string, role: Role = 'user') => signToken({ secret: config.JWT_SECRET }, { sub, role });
  return testClient(url, config, system, token);
}

export function testClient(url: string, config: Config, system: System, token: TestSystem['token']): TestSystem {
  const call: TestSystem['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${await token(opts.as ?? 'alice', opts.role)}`, ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  const waitFor: TestSystem['waitFor'] = async (id, done, opts = {}) => {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      const res = await call('GET', `/v1/runs/${id}`, { as: opts.as });
      if (res.status === 200 && done(res.body)) return res.body;
      if (Date.now() > deadline) throw new Error(`run ${id} did not reach the expected state: ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const scrape = async () => {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${await token('metrics-scraper', 'admin')}` } });
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
    return res.text();
  };
  return { system, config, url, token, call, waitFor, scrape, close: () => system.close() };
}

export const TERMINAL = ['succeeded', 'failed', 'timed_out', 'cancelled', 'error'];
export const isDone = (run: any) => TERMINAL.includes(run.status);
