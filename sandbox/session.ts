/**
 * A session: one hardened container (the same spec and limits as a run's) held
 * for one owner, whose /workspace outlives each run. Runs and file operations
 * go to its agent one at a time (protocol.ts `session`: kept without a wipe;
 * the run's files replace what is there). Every process of a run still dies
 * with it; only files stay (and, for opt-in `persistent` Python runs, the
 * variables of the session's one long-lived interpreter). Files move in and out through the agent only:
 * /workspace is a tmpfs Docker's archive API cannot see.
 *
 * A run that times out is killed by the agent (its backstop, with no grace), so
 * the session carries on. Anything else that stops a run from outside (output
 * cap, cancel) kills the container, and so ends the session; so does a dead
 * agent or container. `ended` says why.
 */
import { SandboxInfraError, ValidationError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { AgentContainer } from './agent';
import { normaliseFilePath, planFiles, type RunHeader } from './protocol';
import type { ExecRequest, ExecResult, OutputFile, SandboxLimits } from './types';

export interface SessionOptions {
  sessionId: string;
  /** The container's limits; each run's timeout and output cap may be lower. */
  limits: SandboxLimits;
}

/** The runner's parts a session uses (runner.ts builds it). */
export interface SessionEngine {
  launch(limits: SandboxLimits, runId: string): Promise<AgentContainer>;
  discard(agent: AgentContainer): void;
  run(agent: AgentContainer, req: ExecRequest, files: RunHeader['files'], how?: SessionRunHow): Promise<ExecResult>;
  log: Logger;
}

/** How a session's agent runs a frame (default: the language's interpreter, fork + exec). */
export interface SessionRunHow {
  /** Instead of the language's interpreter (file operations). */
  argv?: string[];
  /** In the session's persistent Python interpreter (SessionRunRequest.persistent). */
  persistent?: boolean;
}

/** Why a session ended. */
export type SessionEndReason = 'closed' | 'run_stopped' | 'container_lost';

/** The session is over: nothing more runs in it. Not retryable (its files are gone). */
export class SessionEndedError extends SandboxInfraError {
  constructor(readonly reason: SessionEndReason) {
    super(`the session has ended (${reason})`);
    this.name = 'SessionEndedError';
  }
}

export type SessionRunRequest = Omit<ExecRequest, 'reuseKey' | 'runId' | 'limits'> & {
  runId: string;
  limits?: Partial<Pick<SandboxLimits, 'timeoutMs' | 'outputBytes'>>;
  /**
   * Python only (else ValidationError). Default false: a fresh `python3 main.py`.
   * True: the session's one long-lived interpreter execs main.py in a namespace
   * kept across persistent runs (`__name__ == '__main__'`), like a notebook
   * kernel; the result's `interpreter` says whether it was fresh and whether it
   * died during the run (then the next persistent run starts a fresh one).
   * Processes the run started still die with it; only files and the
   * interpreter's state persist. Non-persistent runs see the files, not the variables.
   */
  persistent?: boolean;
};

/** A file operation is a short run of a fixed command; these bound it. */
const FILE_OP_LIMITS = { timeoutMs: 10_000, outputBytes: 64 * 1024 };
/** After a run the agent checks itself and says ready; longer means it is broken. */
const READY_AFTER_RUN_MS = 10_000;

export class SandboxSession {
  private tail: Promise<unknown> = Promise.resolve();
  private endReason: SessionEndReason | null = null;
  /** An operation is in flight: it decides why the session ended if the container dies under it. */
  private busy = false;
  private readonly endedPromise: Promise<SessionEndReason>;
  private markEnded!: (r: SessionEndReason) => void;

  private constructor(
    private readonly engine: SessionEngine,
    private readonly agent: AgentContainer,
    readonly options: SessionOptions,
  ) {
    this.endedPromise = new Promise((resolve) => (this.markEnded = resolve));
    void agent.died.then(() => {
      if (!this.busy) this.end('container_lost');
    });
  }

  /** Takes the session's container: a fresh one (a never-used pool container, or a cold one). Throws SandboxInfraError. */
  static async open(engine: SessionEngine, options: SessionOptions): Promise<SandboxSession> {
    const agent = await engine.launch(options.limits, `session-${options.sessionId}`);
    return new SandboxSession(engine, agent, options);
  }

  get containerId(): string {
    return this.agent.id;
  }

  get isOpen(): boolean {
    return this.endReason === null;
  }

  /** Resolves with the reason once the session has ended. */
  get ended(): Promise<SessionEndReason> {
    return this.endedPromise;
  }

  /** Runs a program in the session's /workspace (its files stay for the next run). */
  async run(req: SessionRunRequest): Promise<ExecResult> {
    const { persistent, ...exec } = req;
    if (persistent && req.language !== 'python') {
      throw new ValidationError(`a persistent interpreter exists for python only, not ${String(req.language)}`, { language: req.language });
    }
    const files = planFiles(req.language, req.code, req.files);
    const how = persistent ? { persistent: true } : undefined;
    return this.exclusive(() => this.engine.run(this.agent, { ...exec, limits: this.runLimits(req.limits) }, files, how));
  }

  /** Writes files (replacing any at those paths) as the program's user. */
  async putFiles(files: { path: string; content: Buffer }[]): Promise<void> {
    const planned = files.map((f) => ({ path: normaliseFilePath(f.path), content: f.content }));
    const res = await this.op(planned, ['/bin/true']);
    if (res.exitCode !== 0) throw new SandboxInfraError(`could not write the files: ${res.stderr.trim()}`);
  }

  /** A file's bytes, or null if there is no regular file at that path (symlinks are not followed). */
  async readFile(path: string, maxBytes: number): Promise<OutputFile | null> {
    const p = normaliseFilePath(path);
    const res = await this.op([], ['/bin/true'], { globs: [p], mode: 'exact', maxFiles: 1, maxFileBytes: maxBytes, maxTotalBytes: maxBytes });
    return res.files?.[0] ?? null;
  }

  /** True when the file existed (and is now gone). */
  async deleteFile(path: string): Promise<boolean> {
    const res = await this.op([], ['/bin/rm', '--', normaliseFilePath(path)]);
    return res.exitCode === 0;
  }

  /** Paths and sizes of the regular files in /workspace, path order. */
  async listFiles(maxFiles = 1000): Promise<{ path: string; size: number }[]> {
    const res = await this.op([], ['/bin/true'], { globs: ['**'], mode: 'list', maxFiles, maxFileBytes: 0, maxTotalBytes: 0 });
    return (res.files ?? []).map((f) => ({ path: f.path, size: f.size }));
  }

  /** Ends the session and removes its container. Idempotent. */
  close(reason: SessionEndReason = 'closed'): void {
    this.end(reason);
  }

  private op(files: RunHeader['files'], argv: string[], outputs?: ExecRequest['outputs']): Promise<ExecResult> {
    const req: ExecRequest = { runId: `session-${this.options.sessionId}`, language: 'bash', code: '', limits: this.runLimits(FILE_OP_LIMITS), ...(outputs ? { outputs } : {}) };
    return this.exclusive(() => this.engine.run(this.agent, req, files, { argv }));
  }

  private runLimits(l: SessionRunRequest['limits']): SandboxLimits {
    const s = this.options.limits;
    return { ...s, timeoutMs: Math.min(l?.timeoutMs ?? s.timeoutMs, s.timeoutMs), outputBytes: Math.min(l?.outputBytes ?? s.outputBytes, s.outputBytes) };
  }

  /** One operation at a time; after each, the agent must say ready again, or the session ends. */
  private exclusive<T extends ExecResult>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(async () => {
      if (this.endReason) throw new SessionEndedError(this.endReason);
      let res: T;
      this.busy = true;
      try {
        res = await fn();
      } catch (err) {
        if (this.agent.isDead) this.end('container_lost');
        throw this.endReason ? new SessionEndedError(this.endReason) : err;
      } finally {
        this.busy = false;
      }
      if (this.agent.isDead) {
        // We stopped the run (output cap, cancel): the container went with it.
        this.end(res.verdict === 'output_limit' || res.verdict === 'killed' ? 'run_stopped' : 'container_lost');
        return res;
      }
      await this.agent.whenReady(READY_AFTER_RUN_MS).catch(() => this.end('container_lost'));
      return res;
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  private end(reason: SessionEndReason): void {
    if (this.endReason) return;
    this.endReason = reason;
    this.engine.discard(this.agent);
    this.markEnded(reason);
  }
}
