/**
 * The warm pool: containers created, attached and started ahead of time, each
 * with its agent waiting for one run. Single-use: a container leaves the pool
 * for exactly one run and is removed afterwards (by the runner). The hot path
 * takes a ready container and creates nothing; refills happen in the
 * background, at most `refillConcurrency` at a time.
 *
 * Recovery: a failed create/start backs off exponentially (the pool never
 * spins on a broken Docker), and while it is failing, callers are told to go
 * cold instead of waiting. A ready container that dies while idle (killed from
 * outside, its agent's idle backstop) is dropped and replaced; one idle for
 * longer than `maxIdleMs` is recycled.
 */
import type { Logger } from '../core/logger';
import type { AgentContainer } from './agent';

/** Interpreters a pool container can have started ahead of its run (agent.py `--prestart`). */
export type Prestart = 'python' | 'javascript';
/** The languages runs asked for lately decide what the refill pre-starts. */
const DEMAND_WINDOW = 16;

export interface PoolOptions {
  /** Ready containers to keep. 0 disables the pool (every run goes cold). */
  size: number;
  /** Containers being created at once. */
  refillConcurrency: number;
  /** A ready container idle this long is replaced by a fresh one. */
  maxIdleMs: number;
  /** Creates, starts and waits for one container's agent (with the pool's limits). */
  launch(prestart?: Prestart): Promise<AgentContainer>;
  /**
   * Pre-start interpreters in pool containers, in proportion to what runs
   * asked for lately (python until the first run says otherwise); a language:
   * always that one. Off: none.
   */
  prestart?: boolean | Prestart;
  /**
   * When no container is ready and every one being created is already promised
   * to an earlier waiter, acquire() says go cold instead of queueing behind
   * the refill: a burst creates containers as fast as it asks for them (as a
   * per-run design would) rather than `refillConcurrency` at a time. Default
   * false: on the loaded 2-core host it did not measurably pay (README).
   */
  overflowCold?: boolean;
  /** Removes a container the pool no longer wants (in the background). */
  discard(agent: AgentContainer): void;
  log: Logger;
  /** Diagnostics: a container became ready / was dropped. */
  onEvent?(e: { type: 'ready' | 'dropped'; containerId: string; reason?: string }): void;
}

export interface PoolStats {
  ready: number;
  creating: number;
  waiting: number;
  /** Consecutive failed launches (0 when healthy). */
  failures: number;
}

const BACKOFF_MIN_MS = 100;
/**
 * A container taken while others are still ready is replaced a moment later,
 * not at once: creating one costs Docker more CPU than a trivial run, and on a
 * small host the two would compete. The runner nudges the pool when its run ends.
 */
const REFILL_DELAY_MS = 1000;
const BACKOFF_MAX_MS = 10_000;

interface Waiter {
  resolve(agent: AgentContainer | null): void;
}

export class WarmPool {
  private readonly ready: AgentContainer[] = [];
  private readonly waiters: Waiter[] = [];
  private creating = 0;
  private failures = 0;
  private backoffTimer: NodeJS.Timeout | undefined;
  private refillTimer: NodeJS.Timeout | undefined;
  private readonly idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly launches = new Set<Promise<void>>();
  /** What each ready or starting container has pre-started (absent: nothing). */
  private readonly prestarted = new Map<AgentContainer, Prestart>();
  private readonly creatingFor: (Prestart | undefined)[] = [];
  private readonly demand: (Prestart | undefined)[] = ['python'];

  constructor(private readonly opts: PoolOptions) {
    if (opts.size > 0) {
      this.idleTimer = setInterval(() => this.recycleIdle(), Math.max(1000, Math.floor(opts.maxIdleMs / 4)));
      this.idleTimer.unref();
    }
    this.fill();
  }

  stats(): PoolStats {
    return { ready: this.ready.length, creating: this.creating, waiting: this.waiters.length, failures: this.failures };
  }

  /** A ready container now (one that pre-started `want` if there is one), or null. */
  take(want?: Prestart): AgentContainer | null {
    if (this.opts.prestart) this.noteDemand(want);
    while (this.ready.length > 0) {
      const match = this.ready.findIndex((a) => this.prestarted.get(a) === want);
      const agent = this.ready.splice(match >= 0 ? match : 0, 1)[0]!;
      this.prestarted.delete(agent);
      if (!agent.isReady) continue; // died a moment ago; its watcher discards it
      if (this.ready.length > 0) this.refillSoon();
      else this.fill();
      return agent;
    }
    this.fill();
    return null;
  }

  /** A run ended: now is a good time to refill. */
  nudge(): void {
    this.fill();
  }

  /**
   * A ready container: now, or the next one the refill produces. Null when the
   * pool is disabled, closed or failing (the caller then creates one cold),
   * or when `signal` aborts.
   */
  async acquire(signal?: AbortSignal, want?: Prestart): Promise<AgentContainer | null> {
    const now = this.take(want);
    if (now || !this.healthy() || signal?.aborted) return now;
    if (this.opts.overflowCold && this.waiters.length >= this.creating) return null;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve: (agent) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(agent);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        waiter.resolve(null);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.fill();
    });
  }

  /** Gives back a container that was taken but never got its run (still ready). */
  giveBack(agent: AgentContainer): void {
    if (this.closed || !agent.isReady) {
      this.opts.discard(agent);
      return;
    }
    this.offer(agent);
  }

  /** Stops refilling, releases waiters, discards ready containers, waits for launches in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.idleTimer);
    clearTimeout(this.backoffTimer);
    clearTimeout(this.refillTimer);
    for (const w of this.waiters.splice(0)) w.resolve(null);
    for (const agent of this.ready.splice(0)) this.opts.discard(agent);
    this.prestarted.clear();
    await Promise.all([...this.launches]);
  }

  private healthy(): boolean {
    return this.opts.size > 0 && !this.closed && this.failures === 0;
  }

  private refillSoon(): void {
    if (this.refillTimer || this.closed) return;
    this.refillTimer = setTimeout(() => this.fill(), REFILL_DELAY_MS);
    this.refillTimer.unref();
  }

  /** Starts launches until ready + creating covers the target (size + waiters). */
  private fill(): void {
    clearTimeout(this.refillTimer);
    this.refillTimer = undefined;
    if (this.closed || this.opts.size <= 0 || this.backoffTimer) return;
    const target = this.opts.size + this.waiters.length;
    while (this.ready.length + this.creating < target && this.creating < this.opts.refillConcurrency) {
      this.creating += 1;
      const p = this.launchOne(this.nextPrestart()).finally(() => {
        this.launches.delete(p);
      });
      this.launches.add(p);
    }
  }

  private noteDemand(want: Prestart | undefined): void {
    this.demand.push(want);
    if (this.demand.length > DEMAND_WINDOW) this.demand.shift();
  }

  /** The interpreter the most under-supplied by ready and starting containers, relative to demand. */
  private nextPrestart(): Prestart | undefined {
    if (!this.opts.prestart) return undefined;
    if (this.opts.prestart !== true) return this.opts.prestart;
    const supply = [...this.ready.map((a) => this.prestarted.get(a)), ...this.creatingFor];
    const kinds = [...new Set(this.demand)];
    let best = kinds[0];
    let bestGap = -Infinity;
    for (const kind of kinds) {
      const wanted = this.demand.filter((k) => k === kind).length / this.demand.length;
      const have = supply.filter((k) => k === kind).length / (supply.length + 1);
      if (wanted - have > bestGap) [best, bestGap] = [kind, wanted - have];
    }
    return best;
  }

  private async launchOne(prestart: Prestart | undefined): Promise<void> {
    let agent: AgentContainer;
    this.creatingFor.push(prestart);
    try {
      agent = await this.opts.launch(prestart);
    } catch (err) {
      this.creatingFor.splice(this.creatingFor.indexOf(prestart), 1);
      this.creating -= 1;
      this.failures += 1;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.failures - 1));
      this.opts.log.warn({ err, failures: this.failures, retryInMs: delay }, 'warm pool: could not start a sandbox container');
      // Waiters would wait for a broken Docker: send them cold (where the error surfaces).
      for (const w of this.waiters.splice(0)) w.resolve(null);
      if (!this.closed && !this.backoffTimer) {
        this.backoffTimer = setTimeout(() => {
          this.backoffTimer = undefined;
          this.fill();
        }, delay);
        this.backoffTimer.unref();
      }
      return;
    }
    this.creatingFor.splice(this.creatingFor.indexOf(prestart), 1);
    this.creating -= 1;
    this.failures = 0;
    if (this.closed) {
      this.opts.discard(agent);
      return;
    }
    // Dropped and replaced if it dies while waiting.
    void agent.died.then(() => {
      const i = this.ready.indexOf(agent);
      if (i < 0) return;
      this.ready.splice(i, 1);
      this.prestarted.delete(agent);
      this.opts.onEvent?.({ type: 'dropped', containerId: agent.id, reason: 'died while idle' });
      this.opts.discard(agent);
      this.fill();
    });
    this.opts.onEvent?.({ type: 'ready', containerId: agent.id });
    if (prestart) this.prestarted.set(agent, prestart);
    this.offer(agent);
    this.fill();
  }

  private offer(agent: AgentContainer): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.prestarted.delete(agent);
      waiter.resolve(agent);
    } else this.ready.push(agent);
  }

  private recycleIdle(): void {
    const cutoff = Date.now() - this.opts.maxIdleMs;
    for (const agent of [...this.ready]) {
      if (agent.readyAt > cutoff) continue;
      this.ready.splice(this.ready.indexOf(agent), 1);
      this.prestarted.delete(agent);
      this.opts.onEvent?.({ type: 'dropped', containerId: agent.id, reason: 'idle too long' });
      this.opts.discard(agent);
    }
    this.fill();
  }
}
