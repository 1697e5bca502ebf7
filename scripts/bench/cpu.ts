/**
 * CPU time from /proc, for the bench's "where the time goes": the container
 * engine's long-lived daemons (dockerd, containerd) by process, and the whole
 * machine (everything else: shims, the OCI runtime, the kernel, the program —
 * and, on a shared host, whatever else is running, so read it as an upper bound).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

function pidsOf(name: string): number[] {
  try {
    return execFileSync('pidof', [name], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** utime + stime of a process, ms (0 when it is gone or unreadable). */
function processCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Busy (non-idle, non-iowait) CPU of the whole machine, ms. */
function machineBusyMs(): number {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}

export interface CpuSample {
  dockerd: number;
  containerd: number;
  machine: number;
}

export function sampleCpu(): CpuSample {
  const sum = (name: string) => pidsOf(name).reduce((s, p) => s + processCpuMs(p), 0);
  return { dockerd: sum('dockerd'), containerd: sum('containerd'), machine: machineBusyMs() };
}

/** Per-unit CPU between two samples, ms. */
export function cpuPer(before: CpuSample, after: CpuSample, units: number): CpuSample {
  return {
    dockerd: (after.dockerd - before.dockerd) / units,
    containerd: (after.containerd - before.containerd) / units,
    machine: (after.machine - before.machine) / units,
  };
}

/**
 * CPU by part of the deployment, ms, from every live process: Paddock's own
 * process, Redis, the MongoDB stand-in's process, this process (the bench's
 * HTTP clients), the container engine (dockerd, containerd, shims),
 * processes inside containers, and the rest of the machine (the kernel, and
 * processes that exited between the samples: the OCI runtime, short programs).
 */
export const PARTS = ['paddock', 'redis', 'mongo', 'bench', 'engine', 'sandboxes', 'rest'] as const;
export type Part = (typeof PARTS)[number];
export type PartSample = Record<Part, number>;

/** Each live process's part and CPU time, and the machine's busy time, at one moment. */
export interface PartSnapshot {
  processes: Map<number, { part: Part; cpuMs: number }>;
  machineMs: number;
}

const PART_LABEL: Record<Part, string> = {
  paddock: 'Paddock',
  redis: 'Redis',
  mongo: 'MongoDB stand-in',
  bench: 'bench clients',
  engine: 'dockerd + containerd + shims',
  sandboxes: 'inside containers',
  rest: 'rest (kernel, exited processes)',
};

/** The processes the bench started, by pid. */
export interface BenchPids {
  paddock: number;
  mongo: number;
}

export function sampleParts(pids: BenchPids): PartSnapshot {
  const processes = new Map<number, { part: Part; cpuMs: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const part = partOf(pid, pids);
    if (part) processes.set(pid, { part, cpuMs: processCpuMs(pid) });
  }
  return { processes, machineMs: machineBusyMs() };
}

function partOf(pid: number, pids: BenchPids): Part | null {
  if (pid === pids.paddock) return 'paddock';
  if (pid === pids.mongo) return 'mongo';
  if (pid === process.pid) return 'bench';
  let comm: string;
  let cgroup: string;
  try {
    comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    cgroup = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return null; // exited while we looked: its CPU lands in `rest`
  }
  if (comm === 'redis-server') return 'redis';
  if (comm === 'dockerd' || comm === 'containerd' || comm.startsWith('containerd-shim')) return 'engine';
  // Container processes sit in the container's cgroup (…/docker/<id> or docker-<id>.scope).
  if (/docker[-/][0-9a-f]{12,}/.test(cgroup)) return 'sandboxes';
  return null;
}

/**
 * Per-unit CPU by part between two snapshots. A process counts with what it used
 * between them (all of it if it started in between); one that exited in between
 * left no figure, so its share is in `rest`, the machine's busy time minus the parts.
 */
export function partsPer(before: PartSnapshot, after: PartSnapshot, units: number): PartSample {
  const per: PartSample = { paddock: 0, redis: 0, mongo: 0, bench: 0, engine: 0, sandboxes: 0, rest: 0 };
  let attributed = 0;
  for (const [pid, now] of after.processes) {
    const used = now.cpuMs - (before.processes.get(pid)?.cpuMs ?? 0);
    per[now.part] += used;
    attributed += used;
  }
  per.rest = after.machineMs - before.machineMs - attributed;
  for (const p of PARTS) per[p] /= units;
  return per;
}

/** "Paddock 17.6 · Redis 3.0 · …" (ms per unit), largest first. */
export function describeParts(per: PartSample): string {
  return [...PARTS]
    .sort((a, b) => per[b] - per[a])
    .map((p) => `${PART_LABEL[p]} ${per[p].toFixed(1)}`)
    .join(' · ');
}
