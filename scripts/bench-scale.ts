/**
 * `npm run bench:scale`: throughput against the number of worker processes on
 * this machine, and where the CPU goes. One Redis, one MongoDB stand-in and one
 * API node (in this process); for each point, N worker processes
 * (`scripts/start.ts`, PADDOCK_ROLE=worker, each WORKER_CONCURRENCY runs at
 * once). Per point: a warm-up, then RUNS short python runs submitted in one
 * batch; throughput = RUNS / (last finishedAt − submit time). Every result is
 * checked. Also measured over the timed phase: the machine's CPU busy share
 * (/proc/stat), the CPU seconds of the worker processes and of dockerd +
 * containerd (the container start-up work). Bounded; stops all it started.
 *
 *   npm run bench:scale [-- --workers 1,2,4 --runs 60 --concurrency 2]
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signToken } from '../api/auth';
import { loadConfig } from '../core/config';
import { startLocalRedis } from '../core/local-redis';
import { silentLogger } from '../core/logger';
import { startMongoStandin } from '../mongo-standin';
import { startSystem } from './system';

const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2,4' },
    runs: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '2' },
  },
});
const POINTS = args.workers.split(',').map(Number);
const RUNS = Number(args.runs);
const CONCURRENCY = args.concurrency;
const ROOT = path.resolve(__dirname, '..');
const SECRET = randomBytes(48).toString('base64url');
const SCOPE = `bench-scale-${randomBytes(4).toString('hex')}`;
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Total and idle jiffies over all cores. */
function cpuJiffies(): { total: number; idle: number } {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: fields.reduce((a, b) => a + b, 0), idle: fields[3]! + fields[4]! };
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / TICK;
  } catch {
    return 0;
  }
}

function pidsOf(name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
const engineCpu = () => [...pidsOf('dockerd'), ...pidsOf('containerd')].reduce((s, pid) => s + cpuSeconds(pid), 0);

function startWorker(env: Record<string, string>): { child: ChildProcess; stop(): Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env, PADDOCK_ROLE: 'worker', LOG_LEVEL: 'warn' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitWorkers(url: string, n: number): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const body = (await fetch(`${url}/ready`).then((r) => r.json(), () => ({}))) as { checks?: { workers?: { count?: number } } };
    if (body.checks?.workers?.count === n) return;
    if (Date.now() > deadline) throw new Error(`${n} workers did not become ready in 180 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Submits `n` runs in one batch and waits for all; returns the seconds from submit to the last finish. */
async function batch(url: string, token: string, n: number): Promise<number> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const runs = Array.from({ length: n }, (_, i) => ({ language: 'python', code: `print(${i} * 2)` }));
  const submitted = Date.now();
  const res = await fetch(`${url}/v1/runs/batch`, { method: 'POST', headers, body: JSON.stringify({ runs }) });
  const body = (await res.json()) as { accepted: number; items: { id: string }[] };
  if (res.status !== 202 || body.accepted !== n) throw new Error(`batch: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  let last = submitted;
  const deadline = Date.now() + 600_000;
  for (const [i, { id }] of body.items.entries()) {
    for (;;) {
      const run = (await (await fetch(`${url}/v1/runs/${id}`, { headers })).json()) as { status: string; finishedAt?: string; result?: { stdout?: string } };
      if (run.status === 'succeeded' && run.result?.stdout === `${i * 2}\n`) {
        last = Math.max(last, Date.parse(run.finishedAt!));
        break;
      }
      if (!['queued', 'running'].includes(run.status)) throw new Error(`run ${id} ended wrong: ${JSON.stringify(run).slice(0, 500)}`);
      if (Date.now() > deadline) throw new Error('the batch did not finish in 10 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return (last - submitted) / 1000;
}

async function main(): Promise<void> {
  const startLoad = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const redis = await startLocalRedis();
  const mongo = await startMongoStandin();
  const env = { REDIS_URL: redis.url, MONGO_URL: mongo.url, JWT_SECRET: SECRET, QUEUE_PREFIX: SCOPE, WORKER_CONCURRENCY: CONCURRENCY, DATA_DIR: path.join(os.tmpdir(), SCOPE) };
  const api = await startSystem(loadConfig({ ...env, PADDOCK_ROLE: 'api', PORT: '0' }), silentLogger());
  const url = api.api!.url;
  const token = await signToken({ secret: SECRET }, { sub: 'bench', role: 'admin' });
  const rows: string[] = [];
  let base = 0;
  try {
    for (const n of POINTS) {
      const workers = Array.from({ length: n }, () => startWorker(env));
      try {
        await waitWorkers(url, n);
        await batch(url, token, 4 * n); // warm-up: every worker's pool filled, code paths loaded
        const cpu0 = cpuJiffies();
        const engine0 = engineCpu();
        const workers0 = workers.reduce((s, w) => s + cpuSeconds(w.child.pid!), 0);
        const seconds = await batch(url, token, RUNS);
        const cpu1 = cpuJiffies();
        const busy = 1 - (cpu1.idle - cpu0.idle) / (cpu1.total - cpu0.total);
        const engine = engineCpu() - engine0;
        const workerCpu = workers.reduce((s, w) => s + cpuSeconds(w.child.pid!), 0) - workers0;
        const perSecond = RUNS / seconds;
        base ||= perSecond;
        rows.push(
          `| ${n} | ${n * Number(CONCURRENCY)} | ${RUNS} | ${seconds.toFixed(1)} | ${perSecond.toFixed(2)} | ×${(perSecond / base).toFixed(2)} | ${(busy * 100).toFixed(0)} % | ${engine.toFixed(1)} | ${workerCpu.toFixed(1)} |`,
        );
        process.stderr.write(`${rows.at(-1)}\n`);
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    }
  } finally {
    await api.close();
    await mongo.close();
    await redis.close();
    fs.rmSync(path.join(os.tmpdir(), SCOPE), { recursive: true, force: true });
  }
  const cores = os.availableParallelism();
  process.stdout.write(
    [
      `machine: ${cores} cores (${os.cpus()[0]?.model ?? 'unknown'}), load average at start ${startLoad}, at end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
      '',
      '| worker processes | runs at once | runs | seconds | runs/s | vs 1 | CPU busy (all cores) | dockerd + containerd CPU s | workers CPU s |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:scale failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
