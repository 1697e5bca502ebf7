/**
 * Runs one program in a fresh hardened container:
 *   create (spec.ts) → attach (before start, so no output is missed) → start →
 *   write the boot frame + stdin and close stdin → race exit against the wall
 *   clock, the output cap and the caller's AbortSignal → inspect → remove.
 * The container is removed on every path (finally). User-program outcomes are
 * results; only Docker failures throw (SandboxInfraError).
 */
import { constants as osConstants } from 'node:os';
import type { Duplex } from 'node:stream';
import { SandboxInfraError, ValidationError } from '../core/errors';
import type { Logger } from '../core/logger';
import { createDockerClient, type ContainerHandle } from './docker';
import { Demuxer, OutputCollector } from './output';
import { encodeBootFrame, LANGUAGE_SPECS, planFiles } from './protocol';
import { BACKSTOP_GRACE_MS, buildContainerSpec } from './spec';
import type { ExecRequest, ExecResult, Sandbox, SandboxLimits, Verdict } from './types';

export interface SandboxOptions {
  /** Image with the bootstrap, e.g. 'paddock-sandbox:v1' (docker/sandbox). Never pulled. */
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
  log: Logger;
}

/** How long to wait for the attach stream to drain after the container exited. */
const DRAIN_MS = 2000;
/** Beyond budget + backstop: if Docker still reports the container running, give up. */
const STUCK_MS = 15000;

type StopReason = Extract<Verdict, 'timeout' | 'output_limit' | 'killed'>;

interface LiveRun {
  stop(reason: StopReason): void;
  done: Promise<unknown>;
}

function checkLimits(l: SandboxLimits): void {
  const bad = (name: string, min: number, v: number) => !(Number.isFinite(v) && v >= min) && name;
  const problem =
    bad('timeoutMs', 1, l.timeoutMs) ||
    bad('memoryMb', 6, l.memoryMb) || // Docker's minimum
    bad('cpus', 0.01, l.cpus) ||
    bad('pids', 1, l.pids) ||
    bad('outputBytes', 0, l.outputBytes);
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

export function createSandbox(opts: SandboxOptions): Sandbox {
  const docker = createDockerClient(opts.socketPath);
  const live = new Set<LiveRun>();
  /** Containers created and not yet confirmed removed. */
  const containers = new Set<string>();
  let closing: Promise<void> | null = null;

  async function removeContainer(c: ContainerHandle, log: Logger): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await c.remove();
        containers.delete(c.id);
        return;
      } catch (err) {
        if (attempt >= 3) {
          // Left in `containers` for close(); the reaper is the last resort.
          log.error({ err, containerId: c.id }, 'could not remove sandbox container');
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  async function execute(
    req: ExecRequest,
    frame: Buffer,
    stopRef: { reason: StopReason | null; kill: () => void },
  ): Promise<ExecResult> {
    const log = opts.log.child({ runId: req.runId });
    const { limits } = req;
    const spec = buildContainerSpec({
      image: opts.image,
      ownerId: opts.ownerId,
      runId: req.runId,
      ...(opts.scope ? { scope: opts.scope } : {}),
      limits,
      tmpfsMb: opts.tmpfsMb,
      fileSizeMb: opts.fileSizeMb ?? opts.tmpfsMb,
      ...(opts.runtime ? { runtime: opts.runtime } : {}),
    });

    let container: ContainerHandle | null = null;
    let io: Duplex | null = null;
    let started = false;
    let timer: NodeJS.Timeout | undefined;
    let stuckTimer: NodeJS.Timeout | undefined;
    const waitAbort = new AbortController();
    stopRef.kill = () => {
      // Before start there is nothing to kill: the steps below check stopRef.reason.
      if (container && started) container.kill().catch((err) => log.warn({ err }, 'kill failed'));
    };

    try {
      container = await docker.createContainer(spec);
      containers.add(container.id);
      if (stopRef.reason) return notStarted(stopRef.reason);

      const stream = await container.attach();
      io = stream;
      const collector = new OutputCollector(
        limits.outputBytes,
        (stream, text) => {
          try {
            req.onOutput?.(stream, text);
          } catch (err) {
            log.warn({ err }, 'onOutput threw');
          }
        },
        () => stop(stopRef, 'output_limit'),
      );
      const demux = new Demuxer((stream, payload) => collector.write(stream, payload));
      const drained = new Promise<void>((resolve) => {
        stream.on('data', (chunk: Buffer) => demux.push(chunk));
        stream.once('end', resolve);
        stream.once('close', resolve);
        // EPIPE/ECONNRESET when the program exits without reading all stdin.
        stream.on('error', (err) => {
          log.debug({ err }, 'attach stream error');
          resolve();
        });
      });
      if (stopRef.reason) return notStarted(stopRef.reason);

      const t0 = performance.now();
      await container.start();
      started = true;
      if (stopRef.reason) stopRef.kill(); // stop requested while starting
      timer = setTimeout(() => stop(stopRef, 'timeout'), limits.timeoutMs);
      // The frame, the user's stdin, then EOF (StdinOnce closes the program's stdin).
      stream.end(frame);

      const stuck = new Promise<never>((_, reject) => {
        stuckTimer = setTimeout(() => {
          waitAbort.abort();
          reject(new SandboxInfraError(`container ${container!.id} still running ${STUCK_MS} ms past its budget`));
        }, limits.timeoutMs + BACKSTOP_GRACE_MS + STUCK_MS);
      });
      const waitedExit = await Promise.race([container.wait(waitAbort.signal), stuck]);
      const tExit = performance.now();
      clearTimeout(timer);
      clearTimeout(stuckTimer);

      // The exit can be reported before the last output frames arrive.
      let drainTimer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((r) => (drainTimer = setTimeout(r, DRAIN_MS)))]);
      clearTimeout(drainTimer);
      stream.destroy();

      const state = await container.inspect();
      const out = collector.finish();
      const exitCode = state.running ? waitedExit : state.exitCode;
      const wallMs = Math.round(state.durationMs ?? tExit - t0);
      const verdict = classify(stopRef.reason, state.oomKilled, exitCode, wallMs, limits.timeoutMs);
      log.debug({ containerId: container.id, exitCode, verdict, wallMs }, 'sandbox run finished');
      return {
        exitCode,
        signal: signalFromExitCode(exitCode),
        stdout: out.stdout,
        stderr: out.stderr,
        truncated: out.truncated,
        wallMs,
        verdict,
      };
    } finally {
      clearTimeout(timer);
      clearTimeout(stuckTimer);
      waitAbort.abort();
      io?.destroy();
      if (container) await removeContainer(container, log);
    }
  }

  function stop(ref: { reason: StopReason | null; kill: () => void }, reason: StopReason): void {
    if (ref.reason) return; // the first reason wins
    ref.reason = reason;
    ref.kill();
  }

  return {
    async run(req: ExecRequest): Promise<ExecResult> {
      if (closing) throw new SandboxInfraError('sandbox is closed');
      checkLimits(req.limits);
      const language = LANGUAGE_SPECS[req.language];
      if (!language) throw new ValidationError(`unknown language ${String(req.language)}`);
      const frame = encodeBootFrame(planFiles(req.language, req.code, req.files), language.argv, req.stdin);
      if (req.signal?.aborted) return notStarted('killed');

      const ref: { reason: StopReason | null; kill: () => void } = { reason: null, kill: () => {} };
      const onAbort = () => stop(ref, 'killed');
      req.signal?.addEventListener('abort', onAbort, { once: true });
      const done = execute(req, frame, ref);
      const entry: LiveRun = { stop: (reason) => stop(ref, reason), done: done.catch(() => {}) };
      live.add(entry);
      try {
        return await done;
      } finally {
        live.delete(entry);
        req.signal?.removeEventListener('abort', onAbort);
      }
    },

    close(): Promise<void> {
      closing ??= (async () => {
        for (const r of live) r.stop('killed');
        await Promise.all([...live].map((r) => r.done));
        // Whatever a run could not remove.
        await Promise.all(
          [...containers].map((id) =>
            docker
              .container(id)
              .remove()
              .then(() => containers.delete(id))
              .catch((err) => opts.log.error({ err, containerId: id }, 'could not remove sandbox container')),
          ),
        );
      })();
      return closing;
    },
  };
}

/** Our own stop reason wins; then the kernel's OOM kill; then the exit code. */
export function classify(
  stopReason: StopReason | null,
  oomKilled: boolean,
  exitCode: number,
  wallMs: number,
  timeoutMs: number,
): Verdict {
  if (stopReason) return stopReason;
  if (oomKilled && exitCode !== 0) return 'memory_exceeded';
  // The in-container backstop (`timeout -s KILL`) fired before our timer could.
  if (exitCode === 137 && wallMs >= timeoutMs) return 'timeout';
  return exitCode === 0 ? 'ok' : 'runtime_error';
}
