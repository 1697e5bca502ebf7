/**
 * One started sandbox container with its agent (docker/sandbox/rootfs/opt/paddock/agent.py),
 * seen from the worker: the attach stream (hijacked stdin + demuxed stdout/stderr),
 * the agent's frames routed to the run in progress, and the container's death.
 *
 * Life cycle: `launch` (create → attach → start → agent says ready) → `send` one run
 * → `exit` frame → either disposed (single-use) or, after a kept run, ready again
 * once the agent has wiped it (`whenReady`). Never reused after anything abnormal.
 */
import type { Duplex } from 'node:stream';
import { SandboxInfraError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { ContainerHandle, DockerClient } from './docker';
import { Demuxer } from './output';
import { AgentFrameParser, PROTOCOL_VERSION, type AgentExit, type AgentFrame } from './protocol';
import type { ContainerSpec } from './spec';

/** The limits that live in the container's cgroup (the rest travel with each run). */
export interface CgroupLimits {
  memoryMb: number;
  cpus: number;
  pids: number;
}

export function sameCgroupLimits(a: CgroupLimits, b: CgroupLimits): boolean {
  return a.memoryMb === b.memoryMb && a.cpus === b.cpus && a.pids === b.pids;
}

/** Receives one run's frames. Called at most once each for started/exit/gone; must not throw. */
export interface RunObserver {
  onStarted(): void;
  onOutput(stream: 'stdout' | 'stderr', data: Buffer): void;
  /** Part of an output file (protocol.ts `file` frame), before the exit. */
  onFile?(path: string, size: number, data: Buffer): void;
  onExit(exit: AgentExit): void;
  /** The container died, or the agent failed, before reporting an exit. */
  onGone(reason: string): void;
}

/** How long a started container may take to report ready. Docker under load is slow. */
const READY_TIMEOUT_MS = 30_000;
/** Diagnostics the agent writes to its stderr (a crash), kept for the log. */
const AGENT_STDERR_KEEP = 8192;

type State = 'starting' | 'ready' | 'busy' | 'wiping' | 'dead';

export class AgentContainer {
  /** Epoch ms of the last time it became ready (idle age is measured from here). */
  readyAt = 0;
  /** Runs sent to it so far. */
  runs = 0;
  private state: State = 'starting';
  private observer: RunObserver | null = null;
  private readyWaiters: ((ok: boolean) => void)[] = [];
  private agentStderr = '';
  private deathReason: string | null = null;
  private failed = false;
  private readonly diedPromise: Promise<void>;
  private markDied!: () => void;

  private constructor(
    readonly handle: ContainerHandle,
    private readonly io: Duplex,
    /** The cgroup limits it has now (changed by `applyLimits`). */
    public limits: CgroupLimits,
    private readonly log: Logger,
  ) {
    this.diedPromise = new Promise((resolve) => (this.markDied = resolve));
    const parser = new AgentFrameParser((f) => this.onFrame(f));
    const demux = new Demuxer((stream, payload) => {
      if (stream === 'stderr') {
        if (this.agentStderr.length < AGENT_STDERR_KEEP) this.agentStderr += payload.toString('utf8');
        return;
      }
      try {
        parser.push(payload);
      } catch (err) {
        this.fail(`agent protocol error: ${(err as Error).message}`);
      }
    });
    io.on('data', (chunk: Buffer) => demux.push(chunk));
    io.once('end', () => this.onClosed('container exited'));
    io.once('close', () => this.onClosed('container exited'));
    // EPIPE/ECONNRESET when the container dies under us.
    io.on('error', (err) => this.onClosed(`attach stream failed: ${err.message}`));
  }

  get id(): string {
    return this.handle.id;
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  get isDead(): boolean {
    return this.state === 'dead';
  }

  /** The worker killed it because the agent failed (protocol error, `F` frame, not ready in time). */
  get killedByWorker(): boolean {
    return this.failed;
  }

  /** Resolves once the attach stream has ended (the container exited or was removed). */
  get died(): Promise<void> {
    return this.diedPromise;
  }

  /**
   * Creates, attaches (before start, so nothing is missed), starts, and waits for
   * the agent's first ready frame. `onCreated` learns the id at once, so the
   * caller can remove the container whatever happens next. Throws SandboxInfraError.
   */
  static async launch(
    docker: DockerClient,
    spec: ContainerSpec,
    limits: CgroupLimits,
    log: Logger,
    onCreated: (id: string) => void,
  ): Promise<AgentContainer> {
    const handle = await docker.createContainer(spec);
    onCreated(handle.id);
    const io = await handle.attach();
    const agent = new AgentContainer(handle, io, limits, log.child({ containerId: handle.id.slice(0, 12) }));
    try {
      await handle.start();
      await agent.whenReady(READY_TIMEOUT_MS);
      return agent;
    } catch (err) {
      agent.close();
      throw err instanceof SandboxInfraError ? err : new SandboxInfraError(`sandbox agent did not start: ${(err as Error).message}`);
    }
  }

  /**
   * Resolves when the agent reports ready (after start, or after wiping a kept run).
   * Rejects with SandboxInfraError if it dies first or takes longer than `timeoutMs`.
   */
  whenReady(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'dead') return Promise.reject(this.deathError());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(`agent not ready after ${timeoutMs} ms`);
      }, timeoutMs);
      this.readyWaiters.push((ok) => {
        clearTimeout(timer);
        if (ok) resolve();
        else reject(this.deathError());
      });
    });
  }

  /** Sends one run. The container must be ready; the observer gets its frames. */
  send(frame: Buffer, observer: RunObserver): void {
    if (this.state !== 'ready') throw new SandboxInfraError(`sandbox container is ${this.state}, not ready`);
    this.state = 'busy';
    this.runs += 1;
    this.observer = observer;
    this.io.write(frame);
  }

  /** Lowers or raises the cgroup limits in place (`docker update`). */
  async applyLimits(limits: CgroupLimits, toUpdate: (l: CgroupLimits) => Promise<void>): Promise<void> {
    if (sameCgroupLimits(this.limits, limits)) return;
    await toUpdate(limits);
    this.limits = { ...limits };
  }

  /** SIGKILL to the agent (and so to the whole PID namespace). Tolerates gone containers. */
  async kill(): Promise<void> {
    await this.handle.kill();
  }

  /** Drops the attach stream; a ready agent sees EOF and exits. Idempotent. */
  close(): void {
    this.io.destroy();
    this.onClosed('closed by the worker');
  }

  private onFrame(f: AgentFrame): void {
    switch (f.type) {
      case 'ready':
        // An image built for another protocol may not give programs their own uid.
        if (f.version !== PROTOCOL_VERSION) {
          this.fail(`sandbox agent speaks protocol v${f.version}, this worker v${PROTOCOL_VERSION}: wrong image (see SANDBOX_IMAGE)`);
          return;
        }
        this.state = 'ready';
        this.readyAt = Date.now();
        for (const w of this.readyWaiters.splice(0)) w(true);
        return;
      case 'started':
        this.observer?.onStarted();
        return;
      case 'stdout':
      case 'stderr':
        this.observer?.onOutput(f.type, f.data);
        return;
      case 'file':
        this.observer?.onFile?.(f.path, f.size, f.data);
        return;
      case 'exit': {
        const obs = this.observer;
        this.observer = null;
        // A kept run wipes next and says ready again; a single-use agent exits.
        this.state = 'wiping';
        obs?.onExit(f.exit);
        return;
      }
      case 'fatal':
        this.fail(`sandbox agent failed: ${f.message}`);
        return;
    }
  }

  private fail(reason: string): void {
    if (this.state === 'dead') return;
    this.failed = true;
    this.log.warn({ reason, agentStderr: this.agentStderr || undefined }, 'sandbox agent failed');
    this.handle.kill().catch(() => undefined);
    this.onClosed(reason);
  }

  private onClosed(reason: string): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    this.deathReason = reason;
    if (this.agentStderr) this.log.debug({ agentStderr: this.agentStderr }, 'sandbox agent stderr');
    const obs = this.observer;
    this.observer = null;
    obs?.onGone(reason);
    for (const w of this.readyWaiters.splice(0)) w(false);
    this.io.destroy();
    this.markDied();
  }

  private deathError(): SandboxInfraError {
    return new SandboxInfraError(`sandbox container ${this.id.slice(0, 12)} is gone: ${this.deathReason ?? 'unknown'}`);
  }
}
