/**
 * (a) Paddock, as the bench drives it: a real system in a separate process
 * (`scripts/start.ts`), over HTTP on loopback — POST /v1/runs, then the SSE
 * stream until `event: end`, the moment a client observes the terminal state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { freePort } from '../../core/local-redis';
import { QUEUES } from '../../core/queues';

export interface PaddockProcess {
  url: string;
  /** The Paddock process, for its CPU time (scripts/bench/cpu.ts). */
  pid: number;
  logFile: string;
  /** Stops the process; keeps its log only when `keepLog`. */
  stop(keepLog: boolean): Promise<void>;
}

/** Starts `scripts/start.ts` with `env` on top of a minimal environment; resolves when /ready answers. */
export async function startPaddock(root: string, name: string, env: Record<string, string>, interrupted: () => boolean): Promise<PaddockProcess> {
  const port = await freePort();
  const logFile = path.join(os.tmpdir(), `paddock-bench-${name}.log`);
  const dataDir = path.join(os.tmpdir(), `paddock-bench-${name}`);
  const log = fs.openSync(logFile, 'w');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    stdio: ['ignore', log, log],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATA_DIR: dataDir, ...env },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | null = null;
  const stop = (keepLog: boolean) => (stopped ??= halt(keepLog));
  const halt = async (keepLog: boolean) => {
    fs.closeSync(log);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (!keepLog) fs.rmSync(logFile, { force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (interrupted()) throw new Error('interrupted');
      if (child.exitCode !== null) throw new Error(`Paddock exited during start-up; see ${logFile}`);
      const ok = await fetch(`${url}/ready`).then((r) => r.ok, () => false);
      if (ok) return { url, pid: child.pid!, logFile, stop };
      if (Date.now() > deadline) throw new Error(`Paddock not ready after 60 s; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop(true);
    throw err;
  }
}

export interface RunSpec {
  language: 'python' | 'javascript';
  code: string;
  stdout: string;
  reuse: boolean;
}

export interface RunTiming {
  id: string;
  /** POST sent → 202 read, ms. */
  postMs: number;
}

/** POST a run, then follow its SSE stream until `event: end`; checks verdict and stdout. */
export async function paddockRun(url: string, token: string, run: RunSpec): Promise<RunTiming> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'code', language: run.language, code: run.code, ...(run.reuse ? { reuse: true } : {}) }),
  });
  const created = (await res.json()) as { id?: string };
  const postMs = performance.now() - t0;
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
          if (result?.verdict !== 'ok' || result.stdout !== run.stdout) {
            throw new Error(`run ${created.id} ended wrong: ${data} ${JSON.stringify(result)}`);
          }
          return { id: created.id, postMs };
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

export interface Stages {
  /** `queued` event → `running` event (the worker claimed the job), ms. */
  claimMs: number;
  /** Its parts: `queued` event → BullMQ job created (the owner's fair-share place), ms. */
  toQueueMs: number;
  /** BullMQ job created → a worker moved it to active (the add, the worker's wake-up, moveToActive), ms. */
  pickupMs: number;
  /** Moved to active → `running` event (the document claimed in MongoDB), ms. */
  claimDocMs: number;
  /** Last `stdout` event (the program's last act is its print) → `end` event, ms. */
  exitToEndMs: number;
  /** The sandbox's own wall time for the program (agent fork → reap), ms. */
  programMs: number;
}

interface LoggedEvent {
  type: string;
  data: { status?: string; wallMs?: number };
  ts: number;
}

/** Where BullMQ keeps a run's job (`<prefix>:<queue>:<id>`: fields `timestamp`, `processedOn`). */
export interface JobHashes {
  redis: Redis;
  prefix: string;
}

/**
 * Stage times of a finished run, from its stored events' server timestamps and
 * its BullMQ job's (read after the run, untimed). All are Date.now() of one machine.
 */
export async function stagesOf(url: string, token: string, id: string, jobs: JobHashes): Promise<Stages> {
  const res = await fetch(`${url}/v1/runs/${id}/logs?limit=100`, { headers: { authorization: `Bearer ${token}` } });
  const { items } = (await res.json()) as { items: LoggedEvent[] };
  const at = (pick: (e: LoggedEvent) => boolean, last = false) => {
    const found = last ? items.findLast(pick) : items.find(pick);
    if (!found) throw new Error(`run ${id}: an expected event is missing from its log`);
    return found;
  };
  const queued = at((e) => e.type === 'status' && e.data.status === 'queued');
  const running = at((e) => e.type === 'status' && e.data.status === 'running');
  const stdout = at((e) => e.type === 'stdout', true);
  const end = at((e) => e.type === 'end');
  const result = at((e) => e.type === 'result');
  const [created, active] = (await jobs.redis.hmget(`${jobs.prefix}:${QUEUES.run}:${id}`, 'timestamp', 'processedOn')).map(Number);
  if (!created || !active) throw new Error(`run ${id}: its BullMQ job has no timestamp/processedOn`);
  return {
    claimMs: running.ts - queued.ts,
    toQueueMs: created - queued.ts,
    pickupMs: active - created,
    claimDocMs: running.ts - active,
    exitToEndMs: end.ts - stdout.ts,
    programMs: result.data.wallMs ?? NaN,
  };
}
