/**
 * `npm run bench`: Paddock through its HTTP API, side by side with the naive
 * design and the machine's container-lifecycle ceiling, in one invocation;
 * prints one Markdown table (the rows of issue 11, with its targets) and the
 * machine line, ready for the README.
 *
 *   (a) Paddock: a real system in a separate process (`scripts/start.ts`, its
 *       defaults, its own redis-server, the MongoDB stand-in in a process of its
 *       own, scripts/bench/standin.ts), driven over HTTP on loopback (scripts/bench/paddock.ts).
 *   (b) naive: per job, one container created, attached, started, waited for
 *       and removed through dockerode — same image, same hardened spec
 *       (spec.ts) with the program as its command, same programs.
 *   ceiling: the same container running `/bin/true`, not attached, at 2 and at
 *       `--concurrency` parallel lifecycles, nothing else running: the best of
 *       the two is what this machine's container engine can do at most.
 *
 * Every OCI runtime dockerd has registered besides runc (runsc, crun) gets its
 * own rows: a second Paddock with SANDBOX_RUNTIME set, naive and ceiling on it.
 * Every run's result is checked (verdict ok, expected stdout); a wrong one
 * aborts the benchmark. Everything it starts it stops, also on Ctrl-C.
 *
 *   npm run bench [-- --runs 200 --warmup 20 --pace 500 --concurrency 8 --seconds 20 --max-runs 3000 --batch 200 --runtimes runsc,crun]
 *   (--runtimes '': runc only)
 *   npm run bench -- --quick      (50 runs, 8 s throughput phases, a batch of 150)
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signToken } from '../api/auth';
import { DEFAULT_SANDBOX_IMAGE } from '../core/config';
import { startLocalRedis } from '../core/local-redis';
import { LABEL_SCOPE } from '../sandbox/spec';
import { generateBatch } from './bench/batch';
import { batchWall, latency, summarise, throughput, type Budget, type Latency } from './bench/measure';
import { cpuPer, describeParts, partsPer, sampleCpu, sampleParts, type CpuSample } from './bench/cpu';
import { bareLifecycle, docker, naiveRun, registeredRuntimes, type NaiveTarget } from './bench/naive';
import { paddockRun, stagesOf, startPaddock, type JobHashes, type PaddockProcess, type RunSpec, type Stages } from './bench/paddock';
import { ms, perS, sec, table, times, type Row } from './bench/report';
import { sessionRows } from './bench/sessions';
import { startStandinProcess } from './bench/standin';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '20' },
    'max-runs': { type: 'string', default: '3000' },
    pace: { type: 'string', default: '500' },
    batch: { type: 'string', default: '200' },
    /** Other runtimes to bench besides runc (comma-separated); default: every one dockerd has registered. */
    runtimes: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const PACE_MS = Number(args.pace);
const BATCH = Math.max(150, args.quick ? 150 : Number(args.batch));
const budget: Budget = {
  runs: args.quick ? 50 : Number(args.runs),
  warmup: args.quick ? 10 : Number(args.warmup),
  seconds: args.quick ? 8 : Number(args.seconds),
  maxRuns: Number(args['max-runs']),
  concurrency: Number(args.concurrency),
  check: () => {
    if (interrupted) throw new Error('interrupted');
  },
};

const ROOT = path.resolve(__dirname, '..');
const IMAGE = DEFAULT_SANDBOX_IMAGE;
const SECRET = randomBytes(48).toString('base64url');
const SCOPE = `bench-${randomBytes(4).toString('hex')}`;
/** Paddock settings passed through from our environment (e.g. SANDBOX_POOL_SIZE=8); printed with the table. */
const OVERRIDES = Object.fromEntries(
  Object.entries(process.env).filter(([k, v]) => /^(SANDBOX|WORKER)_/.test(k) && v !== undefined),
) as Record<string, string>;

const TRIVIAL: Record<'python' | 'javascript', RunSpec & { naiveCmd: string[] }> = {
  python: { language: 'python', code: 'print(6*7)', stdout: '42\n', reuse: false, naiveCmd: ['/usr/bin/python3', '-c', 'print(6*7)'] },
  javascript: { language: 'javascript', code: 'console.log(6*7)', stdout: '42\n', reuse: false, naiveCmd: ['/usr/local/bin/node', '-e', 'console.log(6*7)'] },
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
/** Paddock's logs are kept (and named) only when the benchmark failed. */
let failed = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\n${sig}: stopping everything the benchmark started…`);
    void cleanup().finally(() => process.exit(130));
  });
}

const say = (what: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${what}`);

// ---- the phases -----------------------------------------------------------------------------

/**
 * Lifecycles/s of a bare container: the best of 2 and `concurrency` parallel
 * clients; with the CPU per lifecycle over both phases.
 */
async function ceiling(target: NaiveTarget): Promise<{ perSecond: number; cpu: CpuSample }> {
  let best = 0;
  let n = 0;
  const before = sampleCpu();
  for (const c of [2, budget.concurrency]) {
    say(`ceiling (${target.runtime ?? 'runc'}): ${c} parallel bare lifecycles…`);
    const t = await throughput({ ...budget, concurrency: c }, () => bareLifecycle(target));
    best = Math.max(best, t.perSecond);
    n += t.n + c; // the warm-up runs count for CPU
  }
  return { perSecond: best, cpu: cpuPer(before, sampleCpu(), n) };
}

function cpuRow(label: string, cpu: CpuSample): Row {
  return {
    workload: `${label}CPU per bare lifecycle: dockerd / containerd / whole machine (upper bound on a shared host)`,
    paddock: '',
    naive: `${ms(cpu.dockerd)} / ${ms(cpu.containerd)} / ${ms(cpu.machine)}`,
    ratio: '',
    target: '',
  };
}

interface Deployment {
  /** Row prefix ('' for the default runtime, '**runsc:** ' for another). */
  label: string;
  /** For progress lines. */
  name: string;
  paddock: PaddockProcess;
  token: string;
  naive: NaiveTarget;
  /** Its BullMQ jobs, for the stage breakdown. */
  jobs: JobHashes;
  /** The MongoDB stand-in's process (its CPU is a part of its own). */
  mongoPid: number;
}

/**
 * Runs/s of Paddock with `budget.concurrency` clients, and a row saying where
 * the machine's CPU went per run, by part (scripts/bench/cpu.ts).
 */
async function paddockThroughput(d: Deployment, spec: RunSpec, what: string): Promise<{ perSecond: number; cpuRow: Row }> {
  const pids = { paddock: d.paddock.pid, mongo: d.mongoPid };
  const before = sampleParts(pids);
  const t = await throughput(budget, () => paddockRun(d.paddock.url, d.token, spec));
  const per = partsPer(before, sampleParts(pids), t.n + budget.concurrency);
  const total = Object.values(per).reduce((a, b) => a + b, 0);
  return {
    perSecond: t.perSecond,
    cpuRow: { workload: `${d.label}${what}: machine CPU per run, ${ms(total)}, by part (ms)`, paddock: describeParts(per), naive: '', ratio: '', target: '' },
  };
}

const pick = (s: RunSpec & { naiveCmd?: string[] }): RunSpec => ({ language: s.language, code: s.code, stdout: s.stdout, reuse: s.reuse });

async function pacedRows(d: Deployment, language: 'python' | 'javascript', stages?: Stages[], posts?: number[]): Promise<Row[]> {
  const p = TRIVIAL[language];
  say(`${d.name}: ${language}, a run every ${PACE_MS} ms: Paddock…`);
  const a = await latency(budget, () => paddockRun(d.paddock.url, d.token, pick(p)), PACE_MS, async (r) => {
    posts?.push(r.postMs);
    if (stages) stages.push(await stagesOf(d.paddock.url, d.token, r.id, d.jobs));
  });
  say(`${d.name}: ${language}, a run every ${PACE_MS} ms: naive…`);
  const b = await latency(budget, () => naiveRun(d.naive, p.naiveCmd, p.stdout), PACE_MS);
  const p50Target = language === 'python' ? 25 : 60;
  const what = `${d.label}${language}, fresh container, one run every ${PACE_MS} ms`;
  return [
    { workload: `${what}, p50`, paddock: ms(a.p50), naive: ms(b.p50), ratio: times(a.p50 / b.p50), target: `≤ ${p50Target} ms`, met: a.p50 <= p50Target },
    { workload: `${what}, p99`, paddock: ms(a.p99), naive: ms(b.p99), ratio: `${times(a.p99 / a.p50)} its p50`, target: '≤ 3× p50', met: a.p99 <= 3 * a.p50 },
  ];
}

async function freshThroughputRows(d: Deployment, ceilingPerS: number): Promise<Row[]> {
  const p = TRIVIAL.python;
  say(`${d.name}: python, ${budget.concurrency} clients, fresh: Paddock…`);
  const a = await paddockThroughput(d, pick(p), 'fresh containers');
  say(`${d.name}: python, ${budget.concurrency} clients, fresh: naive…`);
  const b = await throughput(budget, () => naiveRun(d.naive, p.naiveCmd, p.stdout));
  const what = `${d.label}python, ${budget.concurrency} clients, fresh container per run: throughput`;
  return [
    { workload: what, paddock: perS(a.perSecond), naive: perS(b.perSecond), ratio: times(a.perSecond / b.perSecond), target: '≥ 1.5× naive', met: a.perSecond >= 1.5 * b.perSecond },
    {
      workload: `${d.label}the same, against the container-lifecycle ceiling (${perS(ceilingPerS, 'lifecycles/s')})`,
      paddock: perS(a.perSecond),
      naive: perS(b.perSecond),
      ratio: `${((100 * a.perSecond) / ceilingPerS).toFixed(0)}% (naive ${((100 * b.perSecond) / ceilingPerS).toFixed(0)}%)`,
      target: '≥ 85% of the ceiling',
      met: a.perSecond >= 0.85 * ceilingPerS,
    },
    a.cpuRow,
  ];
}

async function batchRows(d: Deployment): Promise<Row[]> {
  const programs = generateBatch(BATCH);
  const as = (reuse: boolean) => (prog: { code: string; stdout: string }) => paddockRun(d.paddock.url, d.token, { language: 'python', ...prog, reuse });
  say(`${d.name}: batch of ${BATCH} python programs, ${budget.concurrency} clients: Paddock fresh…`);
  const fresh = await batchWall(budget, programs, as(false));
  say(`${d.name}: batch: Paddock opt-in reuse…`);
  const reused = await batchWall(budget, programs, as(true));
  say(`${d.name}: batch: naive…`);
  const naive = await batchWall(budget, programs, (prog) => naiveRun(d.naive, ['/usr/bin/python3', '-c', prog.code], prog.stdout));
  const what = `${d.label}batch of ${BATCH} python programs (a function + 5–10 asserts), ${budget.concurrency} clients: wall`;
  return [
    { workload: `${what}, fresh containers`, paddock: sec(fresh), naive: sec(naive), ratio: times(fresh / naive), target: '≤ 0.6× naive', met: fresh <= 0.6 * naive },
    { workload: `${what}, opt-in reuse (naive: fresh)`, paddock: sec(reused), naive: sec(naive), ratio: times(reused / naive), target: '≤ 0.2× naive', met: reused <= 0.2 * naive },
  ];
}

async function reuseRows(d: Deployment): Promise<Row[]> {
  const p = { ...pick(TRIVIAL.python), reuse: true };
  say(`${d.name}: python, opt-in warm reuse, back-to-back…`);
  const l = await latency(budget, () => paddockRun(d.paddock.url, d.token, p), 0);
  say(`${d.name}: python, opt-in warm reuse, ${budget.concurrency} clients…`);
  const t = await paddockThroughput(d, p, 'warm reuse');
  return [
    { workload: `${d.label}python, opt-in warm reuse, one client back-to-back, p50 / p99`, paddock: `${ms(l.p50)} / ${ms(l.p99)}`, naive: '—', ratio: '', target: '' },
    { workload: `${d.label}python, opt-in warm reuse, ${budget.concurrency} clients: throughput`, paddock: perS(t.perSecond), naive: '—', ratio: '', target: '≥ 60 runs/s', met: t.perSecond >= 60 },
    t.cpuRow,
  ];
}

function stageRows(label: string, posts: number[], stages: Stages[]): Row[] {
  const row = (what: string, l: Latency, target?: number): Row => ({
    workload: `${label}stage: ${what}, p50 / p99`,
    paddock: `${ms(l.p50)} / ${ms(l.p99)}`,
    naive: '—',
    ratio: '',
    target: target === undefined ? '' : `p50 ≤ ${target} ms`,
    ...(target === undefined ? {} : { met: l.p50 <= target }),
  });
  return [
    row('POST answered (client: sent → 202 read)', summarise(posts)),
    row('queue claim (`queued` → `running` event)', summarise(stages.map((s) => s.claimMs)), 2),
    row('… `queued` event → BullMQ job created (fair-share place)', summarise(stages.map((s) => s.toQueueMs))),
    row('… job created → moved to active (add, worker wake-up, moveToActive)', summarise(stages.map((s) => s.pickupMs))),
    row('… moved to active → `running` event (MongoDB claim)', summarise(stages.map((s) => s.claimDocMs))),
    row("the program (agent's fork → reap)", summarise(stages.map((s) => s.programMs))),
    row('program exit → `end` (last `stdout` → `end` event)', summarise(stages.map((s) => s.exitToEndMs)), 10),
  ];
}

// ---- deployments ---------------------------------------------------------------------------

async function deploy(label: string, runtime: string | undefined, env: Record<string, string>, redis: Redis, mongoPid: number): Promise<Deployment> {
  const name = `${SCOPE}${runtime ? `-${runtime}` : ''}`;
  const paddock = await startPaddock(ROOT, name, { ...env, QUEUE_PREFIX: name, ...(runtime ? { SANDBOX_RUNTIME: runtime } : {}) }, () => interrupted);
  cleanups.push(() => paddock.stop(failed));
  say(`Paddock${runtime ? ` (${runtime})` : ''} up at ${paddock.url} (log: ${paddock.logFile})`);
  const token = await signToken({ secret: SECRET }, { sub: 'bench', role: 'user' });
  return { label, name: runtime ?? 'runc', paddock, token, naive: { image: IMAGE, scope: `${name}-naive`, runtime }, jobs: { redis, prefix: name }, mongoPid };
}

function machine(): string {
  const dockerVersion = (() => {
    try {
      return execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return (
    `machine: ${os.availableParallelism()} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
    `docker ${dockerVersion}, kernel ${os.release()}, node ${process.version}, image ${IMAGE}; load average at start ${load}`
  );
}

async function main(): Promise<void> {
  const header = machine();
  say(header);
  const redis = await startLocalRedis();
  cleanups.push(() => redis.close());
  const mongo = await startStandinProcess(ROOT);
  cleanups.push(() => mongo.stop());
  const base = { REDIS_URL: redis.url, MONGO_URL: mongo.url, JWT_SECRET: SECRET, ...OVERRIDES };
  const jobsRedis = new Redis(redis.url, { lazyConnect: true });
  cleanups.push(async () => void jobsRedis.disconnect());
  // Last resort: anything of ours still on the engine (naive containers interrupted mid-run).
  cleanups.unshift(async () => {
    const left = await docker.listContainers([LABEL_SCOPE]);
    const ours = left.filter((c) => c.labels[LABEL_SCOPE]?.startsWith(SCOPE));
    await Promise.all(ours.map((c) => docker.container(c.id).remove()));
  });

  const rows: Row[] = [];
  const d = await deploy('', undefined, base, jobsRedis, mongo.pid);
  const { perSecond: runcCeiling, cpu: runcCpu } = await ceiling(d.naive);
  rows.push({ workload: 'container-lifecycle ceiling (`/bin/true`, create/start/wait/remove, nothing else)', paddock: '', naive: perS(runcCeiling, 'lifecycles/s'), ratio: '', target: '' });
  rows.push(cpuRow('', runcCpu));
  rows.push(...(await freshThroughputRows(d, runcCeiling)));
  rows.push(...(await batchRows(d)));
  const stages: Stages[] = [];
  const posts: number[] = [];
  rows.push(...(await pacedRows(d, 'python', stages, posts)));
  rows.push(...(await pacedRows(d, 'javascript')));
  rows.push(...(await reuseRows(d)));
  rows.push(...stageRows('', posts, stages));
  await d.paddock.stop(false);

  const wanted = args.runtimes === undefined ? undefined : args.runtimes.split(',').filter(Boolean);
  const others = registeredRuntimes().filter((r) => r !== 'runc' && !r.startsWith('io.containerd.') && (wanted?.includes(r) ?? true));
  for (const runtime of others) {
    const o = await deploy(`**${runtime}:** `, runtime, base, jobsRedis, mongo.pid);
    const { perSecond: c, cpu } = await ceiling(o.naive);
    rows.push({ workload: `${o.label}container-lifecycle ceiling`, paddock: '', naive: perS(c, 'lifecycles/s'), ratio: `${times(c / runcCeiling)} runc's`, target: '' });
    rows.push(cpuRow(o.label, cpu));
    rows.push(...(await freshThroughputRows(o, c)));
    rows.push(...(await pacedRows(o, 'python')));
    await o.paddock.stop(false);
  }

  say('python inside the worker: a held session against a fresh pool container…');
  rows.push(...(await sessionRows(budget, { image: IMAGE, scope: `${SCOPE}-sessions`, paceMs: PACE_MS })));

  const loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const settings = Object.keys(OVERRIDES).length ? Object.entries(OVERRIDES).map(([k, v]) => `${k}=${v}`).join(' ') : 'its defaults';
  console.log(`\n${table(rows)}\n\n${header}; at the end ${loadEnd}.`);
  console.log(
    `Latency rows: ${budget.runs} runs each after ${budget.warmup} warm-up; throughput rows: ${budget.concurrency} clients for ${budget.seconds} s; ` +
      `batch: ${BATCH} programs. Paddock (\`node --import tsx scripts/start.ts\`) with ${settings}; ` +
      `other runtimes: ${others.length ? others.join(', ') : 'none'}.`,
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
