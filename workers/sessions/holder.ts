import type { JobEmitter } from '../../core/emitter';
import { ConflictError, PaddockError, SandboxInfraError, ValidationError } from '../../core/errors';
import type { Finale } from '../../core/events';
import { JobError } from '../../core/jobs/errors';
import { endSessionRuns, type SessionRunsDeps } from '../../core/jobs/session-runs';
import type { Logger } from '../../core/logger';
import { stateForResult } from '../../core/runs';
import type { SessionReply, SessionRequest } from '../../core/session-rpc';
import { sessionFinale, type SessionDoc, type SessionEndReason } from '../../core/sessions';
import { SessionEndedError, type SandboxSession, type SessionRunRequest } from '../../sandbox';
import type { ExecResult } from '../../sandbox/types';
import { ShutdownAbort } from '../lifecycle';

export interface HolderDeps extends SessionRunsDeps {
  holderId: string;
  openSession(o: { sessionId: string; limits: SessionDoc['limits'] }): Promise<SandboxSession>;
  /** Starts a session run through the one job lifecycle (it is a run like any other). */
  startRun(runId: string): void;
  fileMaxBytes: number;
  log: Logger;
}

interface Held {
  doc: SessionDoc;
  session: SandboxSession;
  emitter: JobEmitter;
  runs: number;
  /** Runs and file operations in flight: the idle TTL counts from the last one's end. */
  busy: number;
  idleTimer?: NodeJS.Timeout;
  /** Set once it has ended: no idle timer is armed again (a run may still be unwinding). */
  over: boolean;
  end(reason: SessionEndReason, message?: string): void;
}

/** What session runs need from the holder (workers/executors/code.ts). */
export interface SessionRuns {
  run(sessionId: string, req: SessionRunRequest & { persistent?: boolean }): Promise<ExecResult>;
}

/**
 * The sessions this worker process holds: each one's container, its idle and
 * lifetime timers, and the requests API nodes send it (core/session-rpc.ts).
 * A session's job (SESSION_JOB) is active exactly as long as `hold` runs.
 */
export class SessionHolder implements SessionRuns {
  private readonly held = new Map<string, Held>();
  private draining = false;

  constructor(private readonly deps: HolderDeps) {}

  get size(): number {
    return this.held.size;
  }

  /** The session job's execute: opens the container, keeps it until the session ends, returns the end. */
  async hold(doc: SessionDoc, signal: AbortSignal, emitter: JobEmitter): Promise<Finale> {
    // Held before, by a worker that is gone: its container (and files) went with it.
    if (doc.holder) return this.endElsewhere(doc, 'worker_lost');
    if (this.draining) throw new ShutdownAbort();
    let session: SandboxSession;
    try {
      session = await this.deps.openSession({ sessionId: doc._id, limits: doc.limits });
    } catch (err) {
      return sessionFinale('not_started', 0, `its sandbox could not be started: ${(err as Error).message}`);
    }
    if (!(await this.deps.store.sessions.markHeld(doc._id, this.deps.holderId, session.containerId, doc.maxLifetimeMs))) {
      session.close();
      return sessionFinale('closed', 0); // ended while it opened (the terminal write already happened)
    }
    let settle!: (end: { reason: SessionEndReason; message?: string }) => void;
    const ended = new Promise<{ reason: SessionEndReason; message?: string }>((resolve) => (settle = resolve));
    const h: Held = { doc, session, emitter, runs: 0, busy: 0, over: false, end: (reason, message) => settle({ reason, message }) };
    this.held.set(doc._id, h);
    emitter.emit({ type: 'session', data: { event: 'opened', containerId: session.containerId } });
    const lifetime = setTimeout(() => h.end('max_lifetime'), doc.maxLifetimeMs);
    const onAbort = () => h.end(signal.reason === 'shutdown' ? 'worker_shutdown' : 'closed');
    signal.addEventListener('abort', onAbort, { once: true });
    void session.ended.then((r) => h.end(r === 'closed' ? 'closed' : r));
    this.armIdle(h);
    try {
      const end = await ended;
      return await this.finish(h, end.reason, end.message);
    } finally {
      h.over = true;
      clearTimeout(lifetime);
      clearTimeout(h.idleTimer);
      signal.removeEventListener('abort', onAbort);
      this.held.delete(doc._id);
    }
  }

  /** Shutdown: every session ends now (`worker_shutdown`); none opens after this. */
  closeAll(): void {
    this.draining = true;
    for (const h of this.held.values()) h.end('worker_shutdown');
  }

  /** A session run (the executor calls it): in the session's container, counted as activity. */
  run(sessionId: string, req: SessionRunRequest & { persistent?: boolean }): Promise<ExecResult> {
    const h = this.held.get(sessionId);
    if (!h) throw new JobError('session_ended', `session ${sessionId} is not open on this worker (it ended)`, false);
    return this.busyWith(h, async () => {
      h.runs += 1;
      h.emitter.emit({ type: 'session', data: { event: 'run_started', runId: req.runId } });
      try {
        const res = await h.session.run(req);
        h.emitter.emit({ type: 'session', data: { event: 'run_ended', runId: req.runId, status: stateForResult(res) } });
        return res;
      } catch (err) {
        if (err instanceof SessionEndedError) throw new JobError('session_ended', `its session ended during the run (${err.reason})`, false);
        throw err;
      }
    });
  }

  /** One request from an API node. */
  async handle(req: SessionRequest): Promise<SessionReply> {
    const h = this.held.get(req.session);
    if (!h) return refuse(409, 'session_ended', `session ${req.session} is not open (it ended)`);
    try {
      return await this.busyWith(h, () => this.perform(h, req));
    } catch (err) {
      if (err instanceof SessionEndedError) return refuse(409, 'session_ended', `the session ended (${err.reason})`);
      if (err instanceof PaddockError) return refuse(err.status, err.code, err.message);
      throw err;
    }
  }

  private async perform(h: Held, req: SessionRequest): Promise<SessionReply> {
    switch (req.op) {
      case 'run':
        this.deps.startRun(req.runId);
        return { ok: true };
      case 'list':
        return { ok: true, value: await h.session.listFiles() };
      case 'put': {
        const content = Buffer.from(req.base64, 'base64');
        if (content.length > this.deps.fileMaxBytes) throw new ValidationError(`a file may have at most ${this.deps.fileMaxBytes} bytes`);
        await h.session.putFiles([{ path: req.path, content }]).catch((err: unknown) => {
          // The agent refused the write (a directory is in the way, /workspace is full): the request's doing.
          if (err instanceof SessionEndedError || !(err instanceof SandboxInfraError) || !h.session.isOpen) throw err;
          throw new ConflictError(`could not write ${req.path}: ${err.message}`);
        });
        h.emitter.emit({ type: 'session', data: { event: 'file_written', path: req.path, size: content.length } });
        return { ok: true, value: { path: req.path, size: content.length } };
      }
      case 'get': {
        const file = await h.session.readFile(req.path, Math.min(req.maxBytes, this.deps.fileMaxBytes));
        if (!file) return refuse(404, 'not_found', `no file ${req.path} in the session (or it is larger than the download cap)`);
        return { ok: true, value: { path: file.path, size: file.size, base64: file.content.toString('base64') } };
      }
      case 'delete': {
        const existed = await h.session.deleteFile(req.path);
        if (!existed) return refuse(404, 'not_found', `no file ${req.path} in the session`);
        h.emitter.emit({ type: 'session', data: { event: 'file_deleted', path: req.path } });
        return { ok: true };
      }
      default:
        return refuse(400, 'validation_error', 'unknown session operation');
    }
  }

  private async busyWith<T>(h: Held, fn: () => Promise<T>): Promise<T> {
    h.busy += 1;
    clearTimeout(h.idleTimer);
    try {
      return await fn();
    } finally {
      h.busy -= 1;
      this.armIdle(h);
    }
  }

  private armIdle(h: Held): void {
    clearTimeout(h.idleTimer);
    if (h.busy === 0 && !h.over) h.idleTimer = setTimeout(() => h.end('idle_timeout'), h.doc.idleTtlMs);
  }

  private async finish(h: Held, reason: SessionEndReason, message?: string): Promise<Finale> {
    h.session.close(reason === 'run_stopped' || reason === 'container_lost' ? reason : 'closed');
    const finale = sessionFinale(reason, h.runs, message);
    await endSessionRuns(this.deps, h.doc._id, finale.error?.message ?? reason);
    this.deps.log.info({ session: h.doc._id, reason, runs: h.runs }, 'session ended');
    return finale;
  }

  private async endElsewhere(doc: SessionDoc, reason: SessionEndReason): Promise<Finale> {
    const finale = sessionFinale(reason, 0);
    await endSessionRuns(this.deps, doc._id, finale.error?.message ?? reason);
    this.deps.log.warn({ session: doc._id, holder: doc.holder }, 'ended a session whose worker is gone');
    return finale;
  }
}

function refuse(status: number, code: string, message: string): SessionReply {
  return { ok: false, error: { status, code, message } };
}
