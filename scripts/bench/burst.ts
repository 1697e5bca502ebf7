/**
 * Fresh-container throughput of the sandbox alone (no API, queue or MongoDB):
 * `clients` loops each running a trivial python program for `seconds`, pool of
 * `size`, with and without overflowCold (pool.ts). Prints runs/s and the
 * machine's CPU per run (from /proc/stat: every process on the host, so other
 * load counts too), and how many runs went cold.
 *
 *   node --import tsx scripts/bench/burst.ts [clients 8] [seconds 10] [size 4]
 */
import fs from 'node:fs';
import { DEFAULT_SANDBOX_IMAGE } from '../../core/config';
import { silentLogger } from '../../core/logger';
import { createSandbox } from '../../sandbox';

const [clients, seconds, size] = [Number(process.argv[2] ?? 8), Number(process.argv[3] ?? 10), Number(process.argv[4] ?? 4)];
const LIMITS = { timeoutMs: 20_000, memoryMb: 256, cpus: 1, pids: 64, outputBytes: 64 * 1024 };

function machineCpuSeconds(): number {
  const cols = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = cols[3]! + cols[4]!;
  return (cols.reduce((a, b) => a + b, 0) - idle) / 100;
}

async function row(overflowCold: boolean) {
  const sources: Record<string, number> = {};
  let ready = 0;
  const sandbox = createSandbox({
    image: process.env.SANDBOX_IMAGE ?? DEFAULT_SANDBOX_IMAGE,
    socketPath: '/var/run/docker.sock',
    ownerId: `bench-burst-${process.pid}`,
    scope: `bench-burst-${process.pid}`,
    tmpfsMb: 16,
    log: silentLogger(),
    pool: { size, limits: LIMITS, overflowCold },
    onEvent: (e) => {
      if (e.type === 'assigned') sources[e.source] = (sources[e.source] ?? 0) + 1;
      if (e.type === 'ready') ready++;
    },
  });
  while (ready < size) await new Promise((r) => setTimeout(r, 100));
  let runs = 0;
  const cpu0 = machineCpuSeconds();
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; Date.now() < end; i++) {
        const r = await sandbox.run({ runId: `burst-${c}-${i}`, language: 'python', code: 'print(1)', limits: LIMITS });
        if (r.verdict !== 'ok') throw new Error(`${r.verdict}: ${r.stderr}`);
        runs++;
      }
    }),
  );
  const wall = (Date.now() - t0) / 1000;
  const cpu = machineCpuSeconds() - cpu0;
  await sandbox.close();
  console.log(`| ${overflowCold ? 'on' : 'off'} | ${(runs / wall).toFixed(2)} | ${((cpu / runs) * 1000).toFixed(0)} | ${JSON.stringify(sources)} |`);
}

async function main() {
  console.log(`${clients} clients, ${seconds} s, pool ${size}; load ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`);
  console.log('| overflowCold | runs/s | machine CPU per run, ms | containers by source |');
  console.log('|---|---|---|---|');
  await row(false);
  await row(true);
  await row(false);
  await row(true);
}

void main();
