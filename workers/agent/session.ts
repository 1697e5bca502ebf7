import type { RunDoc } from '../../core/runs';
import type { SandboxSession } from '../../sandbox/session';
import type { Sandbox } from '../../sandbox/types';

/** A sandbox that can also hold sessions (the worker's real one can; narrow test fakes may not). */
type SessionCapable = Sandbox & { openSession?: (o: { sessionId: string; limits: RunDoc['limits'] }) => Promise<SandboxSession> };

/**
 * The `run_code` actions of one agent run share one sandbox session, opened at
 * the first of them: files one action writes are there for the next (processes
 * are not). If the session ended (an action flooded its output or was
 * cancelled), the next action gets a new one, and says so (`freshWorkspace`).
 */
export class ActionSession {
  private current: Promise<SandboxSession> | null = null;
  private opened = 0;

  constructor(
    private readonly sandbox: SessionCapable,
    private readonly run: RunDoc,
  ) {}

  /** False when the sandbox has no sessions: each action then gets a fresh container. */
  get available(): boolean {
    return typeof this.sandbox.openSession === 'function';
  }

  /** The session, and whether it is new since the previous action (its workspace is empty). */
  async get(): Promise<{ session: SandboxSession; fresh: boolean }> {
    const prev = this.current ? await this.current.catch(() => null) : null;
    if (prev?.isOpen) return { session: prev, fresh: false };
    this.opened += 1;
    this.current = this.sandbox.openSession!({ sessionId: `${this.run._id}-${this.opened}`, limits: this.run.limits });
    return { session: await this.current, fresh: this.opened > 1 };
  }

  /** Ends the session (the run is over). */
  async close(): Promise<void> {
    const s = this.current ? await this.current.catch(() => null) : null;
    s?.close();
    this.current = null;
  }
}
