/**
 * `npm run bench`: Paddock through its HTTP API, side by side with the naive
 * design, in one invocation; prints one markdown table and the machine.
 *
 *   (a) Paddock: a real system in a separate process (`scripts/start.ts`, its
 *       defaults, its own redis-server, the MongoDB stand-in served from this
 *       process), driven over HTTP on loopback: POST /v1/runs, then the SSE
 *       stream /v1/runs/:id/events until `event: end` — the moment a client
 *       observes the terminal state. Fresh containers by default; `reuse: true`
 *       for the warm-reuse rows.
 *   (b) naive: per job, one container created, attached, started, waited for
 *       and removed through dockerode — same image, same hardened spec
 *       (spec.ts) with the program as its command, same programs.
 *
 * Every run's result is checked (verdict ok, expected stdout); a wrong one
 * aborts the benchmark. Bounded in runs and time; everything it starts it
 * stops, also on Ctrl-C.
 *
 *   npm run bench [-- --runs 200 --warmup 20 --pace 500 --concurrency 8 --seconds 20 --max-runs 3000]
 *   npm run bench -- --quick      (50 runs, 8 s throughput phases)
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signToken } from '../api/auth';
import { freePort, startLocalRedis, type LocalRedis } from '../core/local-redis';
import { startMongoStandin, type MongoStandin } from '../mongo-standin';
import { createDockerClient } from '../sandbox/docker';
import { Demuxer } from '../sandbox/output';
import { buildContainerSpec, LABEL_SCOPE } from '../sandbox/spec';
import type { Language, SandboxLimits } from '../sandbox/types';
import { DEFAULT_SANDBOX_IMAGE } from '../core/config';
import { sessionLatencyRows } from './bench-sessions';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '20' },
    'max-runs': { type: 'string', default: '3000' },
    pace: { type: 'string', default: '500' },
    quick: { type: 'boolean', default: false },
  },
});
const RUNS = args.quick ? 50 : Number(args.runs);
const WARMUP = args.quick ? 10 : Number(args.warmup);
const CONCURRENCY = Number(args.concurrency);
const SECONDS = args.quick ? 8 : Number(args.seconds);
const MAX_RUNS = Number(args['max-runs']);
const PACE_MS = Number(args.pace);

const ROOT = path.resolve(__dirname, '..');
const IMAGE = DEFAULT_SANDBOX_IMAGE;
const SOCKET = '/var/run/docker.sock';
const SECRET = randomBytes(48).toString('base64url');
const SCOPE = `bench-${randomBytes(4).toString('hex')}`;
/** The naive containers' own scope: Paddock's reaper (scope = its QUEUE_PREFIX = SCOPE) must not judge them. */
const NAIVE_SCOPE = `${SCOPE}-naive`;
/** Paddock settings passed through from our environment (e.g. SANDBOX_POOL_SIZE=8); printed with the table. */
const OVERRIDES = Object.fromEntries(
  Object.entries(process.env).filter(([k, v]) => /^(SANDBOX|WORKER)_/.test(k) && v !== undefined),
) as Record<string, string>;
/** The defaults of core/config.ts, so the naive containers get the same limits. */
const LIMITS: SandboxLimits = { timeoutMs: 10_000, memoryMb: 256, cpus: 1, pids: 64, outputBytes: 1_048_576 };

const PROGRAMS: Record<'python' | 'javascript', { code: string; stdout: string; naiveCmd: string[] }> = {
  python: { code: 'print(6*7)', stdout: '42\n', naiveCmd: ['/usr/bin/python3', '-c', 'print(6*7)'] },
  javascript: { code: 'console.log(6*7)', stdout: '42\n', naiveCmd: ['/usr/bin/node', '-e', 'console.log(6*7)'] },
};

// ---- what we started, stopped in reverse order (also on Ctrl-C) -----------------------

const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) await step().catch((err) => console.error('cleanup step failed:', err));
  })();
  return cleaning;
}
let interrupted = false;
/** Paddock's log is kept (and named) only when the benchmark failed. */
let failed = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\n${sig}: stopping everything the benchmark started…`);
    void cleanup().finally(() => process.exit(130));
  });
}
function checkInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}

// ---- measurements ---------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

interface Latency {
  p50: number;
  p95: number;
  p99: number;
  n: number;
}

/**
 * One run at a time. `paceMs`: each run starts at least this long after the
 * previous one started (an arrival rate the system can sustain); 0: back-to-back.
 */
async function latency(runOne: () => Promise<void>, paceMs: number): Promise<Latency> {
  const ms: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    checkInterrupted();
    const t0 = performance.now();
    await runOne();
    const took = performance.now() - t0;
    if (i >= WARMUP) ms.push(took);
    if (paceMs > took) await new Promise((r) => setTimeout(r, paceMs - took));
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 0.5), p95: percentile(ms, 0.95), p99: percentile(ms, 0.99), n: ms.length };
}

/** Runs/s with `CONCURRENCY` clients for `SECONDS` (or `MAX_RUNS`), after a short warm-up. */
async function throughput(runOne: () => Promise<void>): Promise<{ perSecond: number; n: number }> {
  await Promise.all(Array.from({ length: CONCURRENCY }, () => runOne()));
  let started = 0;
  let finished = 0;
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline && started < MAX_RUNS) {
        checkInterrupted();
        started++;
        await runOne();
        finished++;
      }
    }),
  );
  return { perSecond: finished / ((performance.now() - t0) / 1000), n: finished };
}

// ---- (a) Paddock over HTTP ----------------------------------------------------------------

async function startPaddock(redis: LocalRedis, mongo: MongoStandin): Promise<{ url: string; logFile: string }> {
  const port = await freePort();
  const logFile = path.join(os.tmpdir(), `paddock-bench-${SCOPE}.log`);
  const log = fs.openSync(logFile, 'w');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    stdio: ['ignore', log, log],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REDIS_URL: redis.url,
      MONGO_URL: mongo.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: SECRET,
      QUEUE_PREFIX: SCOPE,
      LOG_LEVEL: 'warn',
      DATA_DIR: path.join(os.tmpdir(), `paddock-bench-${SCOPE}`),
      ...OVERRIDES,
    },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    fs.closeSync(log);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(path.join(os.tmpdir(), `paddock-bench-${SCOPE}`), { recursive: true, force: true });
    if (!failed) fs.rmSync(logFile, { force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    checkInterrupted();
    if (child.exitCode !== null) throw new Error(`Paddock exited during start-up; see ${logFile}`);
    const ok = await fetch(`${url}/ready`).then((r) => r.ok, () => false);
    if (ok) return { url, logFile };
    if (Date.now() > deadline) throw new Error(`Paddock not ready after 60 s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** POST a run, then follow its SSE stream until `event: end`; checks the result. */
async function paddockRun(url: string, token: string, language: Language, reuse: boolean): Promise<void> {
  const program = PROGRAMS[language as 'python' | 'javascript'];
  const res = await fetch(`${url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'code', language, code: program.code, ...(reuse ? { reuse: true } : {}) }),
  });
  const created = (await res.json()) as { id?: string };
  if (res.status !== 202 || !created.id) throw new Error(`POST /v1/runs: ${res.status} ${JSON.stringify(created)}`);
  const stream = await fetch(`${url}/v1/runs/${created.id}/events`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
  });
  if (stream.status !== 200 || !stream.body) throw new Error(`GET events: ${stream.status}`);
  const reader = stream.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let result: { verdict?: string; stdout?: string } | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`event stream of ${created.id} ended without an end event`);
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const type = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (type === 'result' && data) result = JSON.parse(data);
        if (type === 'end') {
          if (result?.verdict !== 'ok' || result.stdout !== program.stdout) {
            throw new Error(`run ${created.id} ended wrong: ${data} ${JSON.stringify(result)}`);
          }
          return;
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

// ---- (b) the naive design ----------------------------------------------------------------

const docker = createDockerClient(SOCKET);

async function naiveRun(language: Language): Promise<void> {
  const program = PROGRAMS[language as 'python' | 'javascript'];
  const spec = buildContainerSpec({
    image: IMAGE,
    ownerId: NAIVE_SCOPE,
    runId: 'naive',
    scope: NAIVE_SCOPE,
    limits: LIMITS,
    tmpfsMb: 64,
    fileSizeMb: 64,
    idleExitMs: 60_000,
  });
  spec.Cmd = program.naiveCmd;
  // No stdin to send: the program is the command.
  Object.assign(spec, { OpenStdin: false, StdinOnce: false, AttachStdin: false });
  const c = await docker.createContainer(spec);
  try {
    const io = await c.attach();
    let stdout = '';
    const demux = new Demuxer((stream, payload) => {
      if (stream === 'stdout') stdout += payload.toString('utf8');
    });
    const drained = new Promise<void>((resolve) => {
      io.on('data', (chunk: Buffer) => demux.push(chunk));
      io.once('end', resolve);
      io.once('close', resolve);
    });
    await c.start();
    const code = await c.wait();
    await drained;
    io.destroy();
    if (code !== 0 || stdout !== program.stdout) throw new Error(`naive ${language} run: exit ${code}, stdout ${JSON.stringify(stdout)}`);
  } finally {
    await c.remove();
  }
}

// ---- the report ---------------------------------------------------------------------------

function machine(): string {
  const dockerVersion = (() => {
    try {
      return execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return [
    `machine: ${os.availableParallelism()} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `docker ${dockerVersion}, kernel ${os.release()}, node ${process.version}; load average at start ${load}`,
  ].join('\n');
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const rate = (v: number) => `${v.toFixed(1)} runs/s`;

async function main(): Promise<void> {
  const header = machine();
  console.error(header);
  console.error(`runs ${RUNS} (+${WARMUP} warm-up) per latency row; throughput: ${CONCURRENCY} clients, ${SECONDS} s or ${MAX_RUNS} runs`);

  const redis = await startLocalRedis();
  cleanups.push(() => redis.close());
  const mongo = await startMongoStandin();
  cleanups.push(() => mongo.close());
  // Last resort: anything of ours still on the engine (naive containers interrupted mid-run).
  cleanups.unshift(async () => {
    for (const scope of [SCOPE, NAIVE_SCOPE]) {
      const left = await docker.listContainers([`${LABEL_SCOPE}=${scope}`]);
      await Promise.all(left.map((c) => docker.container(c.id).remove()));
    }
  });
  const { url, logFile } = await startPaddock(redis, mongo);
  console.error(`Paddock up at ${url} (log: ${logFile})`);
  const token = await signToken({ secret: SECRET }, { sub: 'bench', role: 'user' });

  type Row = [label: string, a: string, b: string, ratio: string];
  const rows: Row[] = [];
  const ratio = (a: number, b: number, lowerIsBetter: boolean) =>
    `${(a / b).toFixed(3)} (${lowerIsBetter ? (b / a).toFixed(1) : (a / b).toFixed(1)}× ${lowerIsBetter ? 'faster' : 'the throughput'})`;

  const latencyRows = (label: string, a: Latency, b: Latency) => {
    for (const p of ['p50', 'p95', 'p99'] as const) rows.push([`${label}, ${p}`, ms(a[p]), ms(b[p]), ratio(a[p], b[p], true)]);
  };
  const paced = `concurrency 1, a run every ${PACE_MS} ms`;
  for (const language of ['python', 'javascript'] as const) {
    console.error(`latency ${language}, ${paced}: Paddock…`);
    const a = await latency(() => paddockRun(url, token, language, false), PACE_MS);
    console.error(`latency ${language}, ${paced}: naive…`);
    const b = await latency(() => naiveRun(language), PACE_MS);
    latencyRows(`${language}, fresh container, ${paced}`, a, b);
  }
  console.error('latency python, back-to-back: Paddock…');
  const a2b = await latency(() => paddockRun(url, token, 'python', false), 0);
  console.error('latency python, back-to-back: naive…');
  const b2b = await latency(() => naiveRun('python'), 0);
  latencyRows('python, fresh container, concurrency 1, back-to-back', a2b, b2b);
  console.error('latency python, back-to-back, warm reuse: Paddock…');
  latencyRows('python, opt-in warm reuse, concurrency 1, back-to-back (b: fresh)', await latency(() => paddockRun(url, token, 'python', true), 0), b2b);

  console.error('latency python, session vs fresh pool container (inside a worker)…');
  for (const [label, a, b] of await sessionLatencyRows(latency, { image: IMAGE, socketPath: SOCKET, scope: `${SCOPE}-sessions`, limits: LIMITS, paceMs: PACE_MS })) latencyRows(label, a, b);

  console.error(`throughput python, ${CONCURRENCY} clients: Paddock fresh…`);
  const fresh = await throughput(() => paddockRun(url, token, 'python', false));
  console.error(`throughput python, ${CONCURRENCY} clients: Paddock warm reuse…`);
  const reused = await throughput(() => paddockRun(url, token, 'python', true));
  console.error(`throughput python, ${CONCURRENCY} clients: naive…`);
  const naive = await throughput(() => naiveRun('python'));
  rows.push([`python, ${CONCURRENCY} clients, fresh container per run: throughput`, rate(fresh.perSecond), rate(naive.perSecond), ratio(fresh.perSecond, naive.perSecond, false)]);
  rows.push([`python, ${CONCURRENCY} clients, opt-in warm reuse: throughput (b: fresh)`, rate(reused.perSecond), rate(naive.perSecond), ratio(reused.perSecond, naive.perSecond, false)]);

  const table = [
    '| workload | (a) Paddock: HTTP POST → SSE `end` | (b) naive: dockerode create/start/wait/remove | a/b |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  const loadEnd = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(`\n${table}\n\n${header}; at the end ${loadEnd}`);
  console.log(
    `latency rows: ${RUNS} runs each after ${WARMUP} warm-up; throughput rows: ${CONCURRENCY} clients for ${SECONDS} s ` +
      `(fresh ${fresh.n}, reuse ${reused.n}, naive ${naive.n} runs). Paddock (\`node --import tsx scripts/start.ts\`) with ` +
      (Object.keys(OVERRIDES).length ? Object.entries(OVERRIDES).map(([k, v]) => `${k}=${v}`).join(' ') : 'its defaults') +
      '.',
  );
}

main()
  .catch((err: unknown) => {
    if (!interrupted) {
      failed = true;
      console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  })
  .finally(() => {
    if (!interrupted) void cleanup();
  });
