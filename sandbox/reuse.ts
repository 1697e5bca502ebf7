/**
 * Opt-in warm reuse: containers kept per reuse key (one owner), so runs of the
 * same key may share a container, one run at a time. After a run the agent
 * kills every process of it and wipes /workspace, /tmp, /dev/shm, /dev/mqueue
 * and SysV IPC before it reports ready again; only then is the container
 * offered to the key's next run. A container never changes key; anything
 * abnormal (timeout, output cap, abort, agent failure) retires it instead.
 * Idle containers are retired after `idleMs`; at most `maxIdle` are kept (the
 * least recently used goes first).
 */
import type { AgentContainer } from './agent';

export interface ReuseOptions {
  idleMs: number;
  maxIdle: number;
  discard(agent: AgentContainer): void;
}

interface Idle {
  key: string;
  agent: AgentContainer;
  since: number;
}

export class ReuseCache {
  /** Least recently used first. */
  private idle: Idle[] = [];
  /** Containers of a key being wiped after a run: its next run waits for them (milliseconds) rather than taking a fresh one. */
  private readonly wiping = new Map<string, Set<Promise<void>>>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: ReuseOptions) {
    this.timer = setInterval(() => this.retireIdle(), Math.max(100, Math.floor(opts.idleMs / 4)));
    this.timer.unref();
  }

  get size(): number {
    return this.idle.length;
  }

  /**
   * A ready container of `key` (the most recently used) that `fits`, waiting for one being
   * wiped; null if none. Idle ones that don't fit stay for the key's later runs.
   */
  async take(key: string, fits: (agent: AgentContainer) => boolean = () => true): Promise<AgentContainer | null> {
    for (;;) {
      const agent = this.takeIdle(key, fits);
      if (agent) return agent;
      const pending = this.wiping.get(key);
      if (!pending || pending.size === 0) return null;
      await Promise.race(pending);
    }
  }

  /**
   * After a clean run of `key`: the agent is wiping; `ready` settles when it says
   * ready again (or fails). Then the container is kept for the key, or retired.
   */
  keepAfterWipe(key: string, agent: AgentContainer, ready: Promise<void>): void {
    const set = this.wiping.get(key) ?? new Set<Promise<void>>();
    this.wiping.set(key, set);
    const p: Promise<void> = ready
      .then(
        () => this.put(key, agent),
        () => this.opts.discard(agent),
      )
      .finally(() => {
        set.delete(p);
        if (set.size === 0 && this.wiping.get(key) === set) this.wiping.delete(key);
      });
    set.add(p);
  }

  /** Retires every idle container; waits for wipes in progress (their containers are retired too). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const e of this.idle.splice(0)) this.opts.discard(e.agent);
    await Promise.all([...this.wiping.values()].flatMap((s) => [...s]));
  }

  private takeIdle(key: string, fits: (agent: AgentContainer) => boolean): AgentContainer | null {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const entry = this.idle[i]!;
      if (entry.key !== key) continue;
      if (entry.agent.isReady && !fits(entry.agent)) continue;
      this.idle.splice(i, 1);
      if (entry.agent.isReady) return entry.agent;
      this.opts.discard(entry.agent);
    }
    return null;
  }

  private put(key: string, agent: AgentContainer): void {
    if (this.closed || !agent.isReady || this.opts.maxIdle <= 0) {
      this.opts.discard(agent);
      return;
    }
    const entry: Idle = { key, agent, since: Date.now() };
    this.idle.push(entry);
    void agent.died.then(() => {
      const i = this.idle.indexOf(entry);
      if (i < 0) return;
      this.idle.splice(i, 1);
      this.opts.discard(agent);
    });
    while (this.idle.length > this.opts.maxIdle) this.opts.discard(this.idle.shift()!.agent);
  }

  private retireIdle(): void {
    const cutoff = Date.now() - this.opts.idleMs;
    const keep: Idle[] = [];
    for (const e of this.idle) {
      if (e.since > cutoff) keep.push(e);
      else this.opts.discard(e.agent);
    }
    this.idle = keep;
  }
}
