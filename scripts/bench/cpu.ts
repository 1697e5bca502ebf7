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
