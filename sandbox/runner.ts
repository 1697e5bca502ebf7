/**
 * `createSandbox`: runs each program in a hardened container that runs nothing
 * else — by default one taken from the warm pool (pool.ts), else created cold —
 * or, when the caller opts in with a reuse key, in that key's warm container
 * (reuse.ts). The hot path:
 *
 *   take a ready container → (docker update, only if the run's cgroup limits
 *   differ) → write the run frame → relay output frames → the agent's exit frame
 *   → result; the container is removed (or wiped and kept) in the background.
 *
 * The wall clock, the output cap and the caller's AbortSignal race the exit
 * frame; any of them SIGKILLs the container (the first reason wins). User-program
 * outcomes are results; only Docker failures throw (SandboxInfraError).
 */
import { constants as osConstants } from 'node:os';
import { SandboxInfraError, ValidationError } from '../core/errors';
import type { Logger } from '../core/logger';
import { AgentContainer, sameCgroupLimits, type CgroupLimits } from './agent';
import { createDockerClient, type ContainerHandle } from './docker';
import { Janitor } from './janitor';
import { OutputCollector } from './output';
import { OutputFiles } from './output-files';
import { WarmPool, type PoolStats, type Prestart } from './pool';
import { encodeRunFrame, LANGUAGE_SPECS, planFiles, type AgentExit, type RunHeader } from './protocol';
import { SandboxSession, type SessionEngine, type SessionOptions } from './session';
import { ReuseCache } from './reuse';
import { BACKSTOP_GRACE_MS, buildContainerSpec, limitsUpdate } from './spec';
import type { ExecRequest, ExecResult, InterpreterState, MemoryAccountingUnavailable, Sandbox, SandboxFile, SandboxLimits, Verdict } from './types';
import { LIMIT_MINIMA } from './types';

export interface SandboxOptions {
  /** Image with the agent, e.g. 'paddock-sandbox:v6' (docker/sandbox). Never pulled. */
  image: string;
  /** Docker Engine socket, e.g. '/var/run/docker.sock'. */
  socketPath: string;
  /** This worker instance's id; every container is labelled with it for the reaper. */
  ownerId: string;
  /**
   * The deployment these containers belong to (e.g. the queue prefix); only a
   * reaper of the same scope may remove them. Default 'default'.
   */
  scope?: string;
  /** OCI runtime name, e.g. 'runsc'; Docker's default runtime when absent. */
  runtime?: string;
  /** Size cap in MiB of the /workspace, /tmp and /dev/shm tmpfs (each; memory-backed). */
  tmpfsMb: number;
  /** Largest file a program may write, in MiB (RLIMIT_FSIZE). Default: tmpfsMb. */
  fileSizeMb?: number;
  /**
   * Warm pool of pre-started single-use containers, created with `limits` (the
   * server maxima); a run asking for less gets its cgroup lowered (`docker
   * update`) before it starts. Absent or size 0: every run creates its container.
   */
  pool?: {
    size: number;
    limits: SandboxLimits;
    /** Containers created at once while refilling. Default 2. */
    refillConcurrency?: number;
    /** Ready containers idle longer than this are replaced. Default 10 min. */
    maxIdleMs?: number;
    /**
     * Pool containers start the interpreter a run will likely want ahead of it,
     * following demand (pool.ts); a language: always that one. Default true.
     */
    prestart?: boolean | Prestart;
    /** A burst beyond the ready and starting containers creates cold ones (pool.ts). Default false. */
    overflowCold?: boolean;
  };
  /** Opt-in warm reuse (ExecRequest.reuseKey). */
  reuse?: {
    /** An idle reuse container is retired after this long. Default 60 s. */
    idleMs?: number;
    /** At most this many idle reuse containers are kept (LRU). Default 8. */
    maxIdle?: number;
  };
  /** Diagnostics (tests, metrics): which container served a run, pool changes, removals. Must not throw. */
  onEvent?: (event: SandboxEvent) => void;
  log: Logger;
}

export type SandboxEvent =
  | { type: 'assigned'; runId: string; containerId: string; source: 'pool' | 'cold' | 'reuse' | 'session' }
  | { type: 'ready' | 'dropped'; containerId: string; reason?: string }
  | { type: 'removed'; containerId: string };

export interface SandboxStats {
  pool: PoolStats;
  /** Idle warm-reuse containers. */
  reuseIdle: number;
  /** Containers created and not yet removed. */
  containers: number;
}

/** A Sandbox with a view of its pool (tests, metrics). */
export interface PooledSandbox extends Sandbox {
  /** A container held for one session (sandbox/session.ts): files stay between its runs. */
  openSession(o: SessionOptions): Promise<SandboxSession>;
  stats(): SandboxStats;
}

/** After we killed a container: how long its remaining output may take to arrive. */
const DRAIN_MS = 2000;
/** How long a container whose attach stream ended may take to be recorded as exited. */
const EXIT_STATE_WAIT_MS = 5000;
/** How long past a SIGKILLed container's exit dockerd may still log its `oom` event (see diedOfOom). */
const OOM_EVENT_WAIT_MS = 5000;
/** After an exit frame: how long a single-use agent may take to exit before we force-remove. */
const EXIT_WAIT_MS = 2000;
/** The agent outlives the longest idle period the worker allows by this much. */
const IDLE_EXIT_MARGIN_MS = 60_000;
/** Wipe + ready after a kept run; longer means something is wrong: retire the container. */
const WIPE_TIMEOUT_MS = 10_000;

type StopReason = Extract<Verdict, 'timeout' | 'output_limit' | 'killed'>;

interface StopRef {
  reason: StopReason | null;
  kill: () => void;
  /** Aborted on stop: cancels waiting for a pool container. */
  abort: AbortController;
}

interface Lease {
  agent: AgentContainer;
  source: 'pool' | 'cold' | 'reuse' | 'session';
  /** Instead of the language's interpreter (session file operations). */
  argv?: string[];
  /** A session run in the container's persistent Python interpreter. */
  persistent?: boolean;
}

interface LiveRun {
  stop(reason: StopReason): void;
  done: Promise<unknown>;
}

/** The container died before the agent started the program: safe to run it elsewhere. */
class NotStarted extends Error {}

/** The limits are too small for even the agent: the kernel killed it while it started. */
class TooSmall extends Error {}

function checkLimits(l: SandboxLimits): void {
  const problem = (Object.keys(LIMIT_MINIMA) as (keyof SandboxLimits)[]).find((k) => !(Number.isFinite(l[k]) && l[k] >= LIMIT_MINIMA[k]));
  if (problem) throw new ValidationError(`invalid sandbox limit ${problem}`, { limits: l });
}

/** 137 → 'SIGKILL'. Exit codes above 128 are read as "killed by signal n - 128". */
export function signalFromExitCode(code: number | null): string | null {
  if (code === null || code <= 128 || code >= 128 + 65) return null;
  const n = code - 128;
  const entry = Object.entries(osConstants.signals).find(([, v]) => v === n);
  return entry ? entry[0] : null;
}

function notStarted(verdict: StopReason): ExecResult {
  return { exitCode: null, signal: null, stdout: '', stderr: '', truncated: false, wallMs: 0, verdict };
}

/** The interpreter a pool container can start ahead for this language (bash: none). */
const prestartFor = (language: string): Prestart | undefined =>
  language === 'python' || language === 'javascript' ? language : undefined;

const cgroupOf = (l: SandboxLimits): CgroupLimits => ({ memoryMb: l.memoryMb, cpus: l.cpus, pids: l.pids });

export function createSandbox(opts: SandboxOptions): PooledSandbox {
  const docker = createDockerClient(opts.socketPath);
  const emit = (e: SandboxEvent) => {
    try {
      opts.onEvent?.(e);
    } catch (err) {
      opts.log.warn({ err }, 'sandbox onEvent threw');
    }
  };
  const janitor = new Janitor(docker, opts.log, (id) => emit({ type: 'removed', containerId: id }));
  const live = new Set<LiveRun>();
  let closing: Promise<void> | null = null;

  const poolSize = opts.pool?.size ?? 0;
  const poolMaxIdleMs = opts.pool?.maxIdleMs ?? 10 * 60_000;
  const reuseIdleMs = opts.reuse?.idleMs ?? 60_000;
  const idleExitMs = Math.max(poolMaxIdleMs, reuseIdleMs) + IDLE_EXIT_MARGIN_MS;

  /** Creates, starts and waits for one agent container with these cgroup limits. */
  async function launch(limits: SandboxLimits, runId: string, prestart?: Prestart): Promise<AgentContainer> {
    const spec = buildContainerSpec({
      image: opts.image,
      ownerId: opts.ownerId,
      runId,
      ...(opts.scope ? { scope: opts.scope } : {}),
      limits,
      tmpfsMb: opts.tmpfsMb,
      fileSizeMb: opts.fileSizeMb ?? opts.tmpfsMb,
      idleExitMs,
      ...(prestart ? { prestart } : {}),
      ...(opts.runtime ? { runtime: opts.runtime } : {}),
    });
    let id: string | undefined;
    try {
      return await AgentContainer.launch(docker, spec, cgroupOf(limits), opts.log, (created) => {
        id = created;
        janitor.track(created);
      });
    } catch (err) {
      if (!id) throw err;
      const oom = await diedOfOom(docker.container(id));
      void janitor.dispose(id);
      throw oom ? new TooSmall(`${limits.memoryMb} MiB is too little memory for the sandbox agent`) : err;
    }
  }

  /**
   * After a container ended without the agent's report: whether the kernel OOM-killed
   * something in it. The attach stream can end before dockerd has recorded the exit, so
   * that comes first. Then `OOMKilled` is not enough: dockerd sets it only if the shim's
   * OOM event reached it before the exit event, and when the kill ended the container
   * itself (its agent; under runsc the whole sandbox, every time) the two race — measured
   * here under runsc, 1 memory bomb in ~10 came as `die`, then `oom` 60 ms later, with
   * OOMKilled false (containerd/containerd#12260). dockerd logs the `oom` event either way,
   * so a SIGKILLed container without the flag has its event log read, up to
   * OOM_EVENT_WAIT_MS past its exit (the daemon's clock; at once if the event is there).
   */
  async function diedOfOom(handle: ContainerHandle): Promise<boolean> {
    await handle.wait(AbortSignal.timeout(EXIT_STATE_WAIT_MS)).catch(() => {});
    const state = await handle.inspect().catch(() => null);
    if (!state || state.running) return false;
    if (state.oomKilled) return true;
    if (state.exitCode !== 137 || state.startedAt === null || state.finishedAt === null) return false;
    return handle.oomLogged(state.startedAt, state.finishedAt + OOM_EVENT_WAIT_MS);
  }

  /**
   * Removes a container in the background. After a single-use run the agent
   * exits by itself: letting it finish first spares Docker a kill.
   */
  function discard(agent: AgentContainer, how: { exiting?: boolean } = {}): void {
    const remove = () => {
      agent.close();
      void janitor.dispose(agent.id);
    };
    if (!how.exiting || agent.isDead) return remove();
    let timer: NodeJS.Timeout | undefined;
    void Promise.race([agent.died, new Promise((r) => (timer = setTimeout(r, EXIT_WAIT_MS)))]).then(() => {
      clearTimeout(timer);
      remove();
    });
  }

  const pool =
    poolSize > 0 && opts.pool
      ? new WarmPool({
          size: poolSize,
          refillConcurrency: Math.max(1, opts.pool.refillConcurrency ?? 2),
          maxIdleMs: poolMaxIdleMs,
          prestart: opts.pool.prestart ?? true,
          overflowCold: opts.pool.overflowCold ?? false,
          launch: (prestart) => launch(opts.pool!.limits, `pool-${Math.random().toString(36).slice(2, 10)}`, prestart),
          discard: (a) => discard(a),
          log: opts.log.child({ component: 'sandbox-pool' }),
          onEvent: (e) => emit(e),
        })
      : null;
  const reuse = new ReuseCache({
    idleMs: reuseIdleMs,
    maxIdle: opts.reuse?.maxIdle ?? 8,
    discard: (a) => discard(a),
  });

  /**
   * Whether a started container can take `limits`: under runsc its cgroup can't be changed
   * (`docker update` fails: runsc 20221219 has no `update` command), so only a container
   * created with exactly those limits fits; the rest of the time a run goes cold.
   */
  const fits = (agent: Pick<AgentContainer, 'limits'>, limits: SandboxLimits): boolean =>
    opts.runtime !== 'runsc' || sameCgroupLimits(agent.limits, cgroupOf(limits));

  /** A ready container for this run, or null if the run was stopped meanwhile. */
  async function acquire(req: ExecRequest, ref: StopRef, coldOnly: boolean): Promise<Lease | null> {
    if (!coldOnly) {
      const kept = req.reuseKey ? await reuse.take(req.reuseKey, (a) => fits(a, req.limits)) : null;
      if (kept) return { agent: kept, source: 'reuse' };
      const usePool = pool && fits({ limits: cgroupOf(opts.pool!.limits) }, req.limits);
      const warm = usePool ? await pool.acquire(ref.abort.signal, prestartFor(req.language)) : null;
      if (warm && ref.reason) {
        pool!.giveBack(warm);
        return null;
      }
      if (warm) return { agent: warm, source: 'pool' };
    }
    if (ref.reason) return null;
    const cold = await launch(req.limits, req.runId);
    if (ref.reason) {
      discard(cold);
      return null;
    }
    return { agent: cold, source: 'cold' };
  }

  async function execute(req: ExecRequest, files: SandboxFile[], ref: StopRef): Promise<ExecResult> {
    try {
      return await executeOnce(req, files, ref);
    } finally {
      // The hot path is over: a good moment for the pool to refill.
      pool?.nudge();
    }
  }

  async function executeOnce(req: ExecRequest, files: SandboxFile[], ref: StopRef): Promise<ExecResult> {
    let coldOnly = false;
    for (let attempt = 1; ; attempt++) {
      let lease: Lease | null;
      try {
        lease = await acquire(req, ref, coldOnly);
      } catch (err) {
        // Nothing ran, but the program could not have run in that little memory either.
        if (err instanceof TooSmall) return { ...notStarted('killed'), exitCode: 137, signal: 'SIGKILL', stderr: `paddock: ${err.message}\n`, verdict: 'memory_exceeded' };
        throw err;
      }
      if (!lease) return notStarted(ref.reason ?? 'killed');
      emit({ type: 'assigned', runId: req.runId, containerId: lease.agent.id, source: lease.source });
      try {
        await lease.agent.applyLimits(cgroupOf(req.limits), (l) => lease.agent.handle.update(limitsUpdate(l, opts.runtime)));
      } catch (err) {
        // E.g. memory below what the container already uses: a cold one gets exact limits.
        opts.log.warn({ err, runId: req.runId }, 'could not apply the run limits to a warm container; going cold');
        discard(lease.agent);
        if (lease.source === 'cold') throw err;
        coldOnly = true;
        continue;
      }
      try {
        return await runOn(lease, req, files, ref);
      } catch (err) {
        // The container died before the program started (e.g. killed while idle): once more elsewhere.
        if (err instanceof NotStarted && attempt < 2 && !ref.reason) continue;
        if (err instanceof NotStarted) throw new SandboxInfraError(err.message);
        throw err;
      }
    }
  }

  type Outcome = { kind: 'exit'; exit: AgentExit } | { kind: 'gone'; reason: string };

  async function runOn(lease: Lease, req: ExecRequest, files: RunHeader['files'], ref: StopRef): Promise<ExecResult> {
    const { agent } = lease;
    const { limits } = req;
    const log = opts.log.child({ runId: req.runId, containerId: agent.id.slice(0, 12) });
    if (ref.reason) {
      discard(agent);
      return notStarted(ref.reason);
    }
    if (!agent.isReady) {
      discard(agent);
      throw new NotStarted('sandbox container died before its run');
    }
    const collector = new OutputCollector(
      limits.outputBytes,
      (stream, text) => {
        try {
          req.onOutput?.(stream, text);
        } catch (err) {
          log.warn({ err }, 'onOutput threw');
        }
      },
      () => stop(ref, 'output_limit'),
    );
    let started = false;
    let settle!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
    const keep = req.reuseKey !== undefined;
    // A session's container outlives a run that times out: the agent's own
    // backstop (grace 0) kills the run; our timer, later, only catches a stuck agent.
    const session = lease.source === 'session';
    const outputFiles = req.outputs ? new OutputFiles(req.outputs) : null;
    agent.send(
      encodeRunFrame({
        files,
        argv: lease.argv ?? LANGUAGE_SPECS[req.language].argv,
        stdin: req.stdin,
        timeoutMs: limits.timeoutMs,
        graceMs: session ? 0 : BACKSTOP_GRACE_MS,
        keep,
        session,
        persistent: session && lease.persistent === true,
        outputs: req.outputs,
      }),
      {
        onStarted: () => (started = true),
        onOutput: (stream, data) => collector.write(stream, data),
        onFile: (path, size, data) => outputFiles?.add(path, size, data),
        onExit: (exit) => settle({ kind: 'exit', exit }),
        onGone: (reason) => settle({ kind: 'gone', reason }),
      },
    );
    const t0 = performance.now();
    ref.kill = () => {
      agent.kill().catch((err) => log.warn({ err }, 'kill failed'));
    };
    const timer = setTimeout(() => stop(ref, 'timeout'), limits.timeoutMs + (session ? BACKSTOP_GRACE_MS : 0));
    if (ref.reason) ref.kill(); // stopped while we were sending
    let result: Outcome;
    try {
      result = await outcome;
    } finally {
      clearTimeout(timer);
    }
    const elapsed = performance.now() - t0;

    if (ref.reason) {
      // We killed it: output that was in flight may still arrive; then it's gone.
      let drainTimer: NodeJS.Timeout | undefined;
      await Promise.race([agent.died, new Promise((r) => (drainTimer = setTimeout(r, DRAIN_MS)))]);
      clearTimeout(drainTimer);
      discard(agent);
      const { stdout, stderr, truncated } = collector.finish();
      const exitCode = result.kind === 'exit' ? result.exit.exitCode : 137;
      return { exitCode, signal: signalFromExitCode(exitCode), stdout, stderr, truncated, wallMs: Math.round(elapsed), verdict: ref.reason };
    }

    if (result.kind === 'gone') {
      // Died without an exit frame: OOM-killed agent (under runsc: the whole sandbox),
      // killed from outside, agent failure (then we killed it).
      const oom = !agent.killedByWorker && (await diedOfOom(agent.handle));
      discard(agent);
      if (oom) {
        const { stdout, stderr, truncated } = collector.finish();
        return {
          exitCode: 137,
          signal: 'SIGKILL',
          stdout,
          stderr,
          truncated,
          wallMs: Math.round(elapsed),
          ...(opts.runtime === 'runsc' ? { accounting: MEMORY_ACCOUNTING_UNAVAILABLE } : {}),
          verdict: 'memory_exceeded',
        };
      }
      if (!started) throw new NotStarted(`sandbox container died before the run started: ${result.reason}`);
      throw new SandboxInfraError(`sandbox container died during the run: ${result.reason}`);
    }

    const { exit } = result;
    // Kept: back to the key once the agent has wiped it (retired if that fails).
    // A session's container stays with the session, which waits for the next ready frame.
    if (keep && !session) reuse.keepAfterWipe(req.reuseKey!, agent, agent.whenReady(WIPE_TIMEOUT_MS));
    else if (!session) discard(agent, { exiting: true });
    const out = collector.finish();
    const oom = (exit.oomKills ?? 0) > 0;
    const memoryPeakBytes = exit.memPeak !== null && (agent.runs === 1 || exit.memPeakRose) ? exit.memPeak : undefined;
    log.debug({ exitCode: exit.exitCode, source: lease.source }, 'sandbox run finished');
    return {
      exitCode: exit.exitCode,
      signal: signalFromExitCode(exit.exitCode),
      stdout: out.stdout,
      stderr: out.stderr,
      truncated: out.truncated,
      wallMs: Math.round(exit.wallNs / 1e6),
      cpuMs: Math.round(exit.cpuNs / 1e6),
      ...(memoryPeakBytes !== undefined ? { memoryPeakBytes } : {}),
      ...accountingOf(exit),
      verdict: classify(null, oom, exit.exitCode, exit.backstop),
      ...(outputFiles ? { files: finishFiles(outputFiles), filesDropped: exit.filesDropped ?? 0 } : {}),
      ...(session && lease.persistent ? { interpreter: interpreterOf(exit) } : {}),
    };
  }

  function stop(ref: StopRef, reason: StopReason): void {
    if (ref.reason) return; // the first reason wins
    ref.reason = reason;
    ref.abort.abort();
    ref.kill();
  }

  /** One run with its stop reasons (abort signal, close()) wired up. */
  async function tracked(req: ExecRequest, go: (ref: StopRef) => Promise<ExecResult>): Promise<ExecResult> {
    if (req.signal?.aborted) return notStarted('killed');
    const ref: StopRef = { reason: null, kill: () => {}, abort: new AbortController() };
    const onAbort = () => stop(ref, 'killed');
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const done = go(ref);
    const entry: LiveRun = { stop: (reason) => stop(ref, reason), done: done.catch(() => {}) };
    live.add(entry);
    try {
      return await done;
    } finally {
      live.delete(entry);
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * A session's container: a never-used pool container when one is ready now
   * (lowered to the session's limits), else a cold one. Either is fresh: no run
   * has been in it.
   */
  async function launchForSession(limits: SandboxLimits, id: string): Promise<AgentContainer> {
    // An aborted signal: take one that is ready, never wait for the refill.
    const warm = pool && fits({ limits: cgroupOf(opts.pool!.limits) }, limits) ? await pool.acquire(AbortSignal.abort()) : null;
    pool?.nudge();
    if (warm) {
      try {
        await warm.applyLimits(cgroupOf(limits), (l) => warm.handle.update(limitsUpdate(l, opts.runtime)));
        return warm;
      } catch (err) {
        opts.log.warn({ err }, 'could not apply the session limits to a pool container; going cold');
        discard(warm);
      }
    }
    return launch(limits, id);
  }

  const sessionEngine: SessionEngine = {
    launch: launchForSession,
    discard: (agent) => discard(agent),
    run: (agent, req, files, how = {}) => tracked(req, (ref) => runOn({ agent, source: 'session', ...how }, req, files, ref)),
    log: opts.log,
  };

  return {
    async run(req: ExecRequest): Promise<ExecResult> {
      if (closing) throw new SandboxInfraError('sandbox is closed');
      checkLimits(req.limits);
      const language = LANGUAGE_SPECS[req.language];
      if (!language) throw new ValidationError(`unknown language ${String(req.language)}`);
      const files = planFiles(req.language, req.code, req.files);
      return tracked(req, (ref) => execute(req, files, ref));
    },

    async openSession(o: SessionOptions): Promise<SandboxSession> {
      if (closing) throw new SandboxInfraError('sandbox is closed');
      checkLimits(o.limits);
      return SandboxSession.open(sessionEngine, o);
    },

    stats(): SandboxStats {
      return {
        pool: pool?.stats() ?? { ready: 0, creating: 0, waiting: 0, failures: 0 },
        reuseIdle: reuse.size,
        containers: janitor.size,
      };
    },

    close(): Promise<void> {
      closing ??= (async () => {
        // Order: no new containers, kill runs in flight, then remove everything we made.
        const poolClosed = pool?.close();
        for (const r of live) r.stop('killed');
        await Promise.all([...live].map((r) => r.done));
        await poolClosed;
        await reuse.close();
        await janitor.removeAll();
      })();
      return closing;
    },
  };
}

function finishFiles(files: OutputFiles) {
  try {
    return files.finish();
  } catch (err) {
    throw new SandboxInfraError((err as Error).message);
  }
}

/** The persistent interpreter's part of the agent's exit frame. */
export function interpreterOf(exit: Pick<AgentExit, 'kernelFresh' | 'kernelLost'>): InterpreterState {
  return { persistent: true, fresh: exit.kernelFresh === true, ...(exit.kernelLost ? { lost: true as const } : {}) };
}

export const MEMORY_ACCOUNTING_UNAVAILABLE: MemoryAccountingUnavailable = {
  memory: 'unavailable',
  reason: 'the container memory cgroup is not readable inside the sandbox (gVisor has no cgroup filesystem): no memory peak, and a memory limit shows only when the whole sandbox is OOM-killed',
};

/** Says so when the agent could read neither the memory peak nor the OOM counter; never a made-up figure. */
export function accountingOf(exit: Pick<AgentExit, 'memPeak' | 'oomKills'>): { accounting?: MemoryAccountingUnavailable } {
  return exit.memPeak === null || exit.oomKills === null ? { accounting: MEMORY_ACCOUNTING_UNAVAILABLE } : {};
}

/** Our own stop reason wins; then the kernel's OOM kill; then the agent's backstop; then the exit code. */
export function classify(stopReason: StopReason | null, oomKilled: boolean, exitCode: number, backstop: boolean): Verdict {
  if (stopReason) return stopReason;
  if (oomKilled && exitCode !== 0) return 'memory_exceeded';
  // The agent's backstop fired before our timer could (we were not listening).
  if (backstop) return 'timeout';
  return exitCode === 0 ? 'ok' : 'runtime_error';
}
