/**
 * CPU of a pre-started interpreter, measured from the host (issue 11, lever 1):
 *
 *   node --import tsx scripts/bench/prestart-cpu.ts [runs per row, default 12]
 *
 * For python and javascript, with the pool pre-starting that language and with
 * pre-start off, one pool container at a time: before each run, the CPU the
 * container's processes have used so far (host /proc/<pid>/task/<tid>/schedstat
 * of every process in the container: agent, and the waiting interpreter when
 * pre-started), then the run's own `cpuMs` (every process of the run, from
 * fork to exit) and `wallMs` (frame → exit, inside the container). Prints
 * medians: the waiting interpreter's CPU before the frame (off the hot path),
 * the run's CPU (cpuMs counts the interpreter's whole life), their difference
 * (the CPU on the hot path) and the in-container wall time of a trivial program.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { silentLogger } from '../../core/logger';
import { DEFAULT_SANDBOX_IMAGE } from '../../core/config';
import { createSandbox } from '../../sandbox';
import type { Prestart } from '../../sandbox/pool';

const RUNS = Number(process.argv[2] ?? 12);
const LIMITS = { timeoutMs: 10_000, memoryMb: 256, cpus: 1, pids: 64, outputBytes: 64 * 1024 };
const CODE = { python: 'print(1)', javascript: 'console.log(1)' } as const;

function treeCpuNs(pid: number): number {
  let total = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    total += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    const children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    for (const c of children ? children.split(' ') : []) total += treeCpuNs(Number(c));
  }
  return total;
}

/** CPU of the agent's children only: the waiting interpreter, when pre-started. */
function childrenCpuNs(pid: number): number {
  let own = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) own += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  return treeCpuNs(pid) - own;
}

const hostPid = (id: string) => Number(execFileSync('docker', ['inspect', '-f', '{{.State.Pid}}', id]).toString().trim());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function row(language: 'python' | 'javascript', prestart: Prestart | false) {
  let readyId = '';
  const sandbox = createSandbox({
    image: process.env.SANDBOX_IMAGE ?? DEFAULT_SANDBOX_IMAGE,
    socketPath: '/var/run/docker.sock',
    ownerId: `bench-prestart-${process.pid}`,
    scope: `bench-prestart-${process.pid}`,
    tmpfsMb: 16,
    log: silentLogger(),
    pool: { size: 1, refillConcurrency: 1, limits: LIMITS, prestart },
    onEvent: (e) => {
      if (e.type === 'ready') readyId = e.containerId;
    },
  });
  const before: number[] = [];
  const cpu: number[] = [];
  const wall: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      while (!(sandbox.stats().pool.ready === 1 && readyId)) await new Promise((r) => setTimeout(r, 50));
      // Let the waiting interpreter finish loading: its CPU stops growing.
      const pid = hostPid(readyId);
      let last = -1;
      for (let now = treeCpuNs(pid); now !== last; now = treeCpuNs(pid)) {
        last = now;
        await new Promise((r) => setTimeout(r, 300));
      }
      before.push(childrenCpuNs(pid));
      readyId = '';
      const r = await sandbox.run({ runId: `bench-${i}`, language, code: CODE[language], limits: LIMITS });
      if (r.verdict !== 'ok') throw new Error(`run failed: ${r.verdict} ${r.stderr}`);
      cpu.push(r.cpuMs ?? NaN);
      wall.push(r.wallMs);
    }
  } finally {
    await sandbox.close();
  }
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  const hot = cpu.map((c, i) => c - before[i]! / 1e6);
  console.log(
    `| ${language} | ${prestart ? 'pre-started' : 'plain'} | ${ms(median(before))} | ${median(cpu)} | ${median(hot).toFixed(1)} | ${median(wall)} |`,
  );
}

async function main() {
  console.log(`${RUNS} runs per row, medians; load ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`);
  console.log('| language | interpreter | interpreter CPU before the frame, ms | run cpuMs (whole life) | CPU after the frame, ms | run wallMs (frame → exit) |');
  console.log('|---|---|---|---|---|---|');
  for (const language of ['python', 'javascript'] as const) {
    await row(language, false);
    await row(language, language);
  }
}

void main();
