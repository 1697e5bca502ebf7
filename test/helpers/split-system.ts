import { signToken } from '../../api/auth';
import { loadConfig } from '../../core/config';
import { silentLogger } from '../../core/logger';
import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { startSystem } from '../../scripts/system';
import { startPaddockProcess, type PaddockProcess } from './process';
import { testClient, testEnv, type TestSystem } from './system';

/**
 * One system split over OS processes: the API runs in the test's process
 * without a worker of its own; workers (and more API nodes) are separate
 * processes that a test can kill for real. They share one Redis and one MongoDB
 * (a stand-in started here unless MONGO_URL is set).
 */
/** Settings under which a killed worker is noticed within seconds: its lock, the stalled check, its liveness key, the reaper. */
export const FAST_FAILOVER = {
  WORKER_LOCK_MS: '2000',
  WORKER_STALLED_CHECK_MS: '1000',
  WORKER_HEARTBEAT_MS: '500',
  SANDBOX_REAP_INTERVAL_MS: '1000',
};

export interface SplitSystem {
  /** The in-process API node. */
  api: TestSystem;
  /** The environment every process of the system gets. */
  env: Record<string, string>;
  spawn(role: 'api' | 'worker'): Promise<PaddockProcess>;
  /** Stops (SIGTERM) every process spawned so far. */
  stopSpawned(): Promise<void>;
  close(): Promise<void>;
}

export async function startSplitSystem(overrides: Record<string, string> = {}): Promise<SplitSystem> {
  const mongo: MongoStandin | undefined = process.env.MONGO_URL ? undefined : await startMongoStandin();
  const env = testEnv({ MONGO_URL: process.env.MONGO_URL ?? mongo!.url, ...overrides });
  const config = loadConfig({ ...env, PADDOCK_ROLE: 'api' });
  const system = await startSystem(config, silentLogger());
  const api = testClient(system.api!.url, config, system, (sub, role = 'user') => signToken({ secret: config.JWT_SECRET }, { sub, role }));
  const procs: PaddockProcess[] = [];
  const stopSpawned = async () => void (await Promise.all(procs.splice(0).map((p) => p.stop('SIGTERM'))));
  return {
    api,
    env,
    async spawn(role) {
      const p = await startPaddockProcess({ ...env, PADDOCK_ROLE: role });
      procs.push(p);
      return p;
    },
    stopSpawned,
    async close() {
      await stopSpawned();
      await api.close();
      await mongo?.close();
    },
  };
}

/** Polls `probe` every 100 ms until it returns something other than undefined, or fails after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
