import type { Redis } from 'ioredis';

/**
 * Redis connections for event-stream tails. A tail's XREAD BLOCK occupies a
 * connection of its own; connecting one per stream cost a TCP connect and a
 * ready check per run, so a connection whose last command completed is kept
 * for the next stream. One broken off mid-XREAD (the client went away) is
 * disconnected instead: that is what ends the blocking read.
 */
/** CLIENT LIST shows them by this name. */
export const TAIL_CONNECTION_NAME = 'paddock-tail';

export class TailConnections {
  private readonly idle: Redis[] = [];
  private closed = false;

  constructor(
    private readonly base: Redis,
    private readonly maxIdle = 32,
  ) {}

  take(): Redis {
    return this.idle.pop() ?? this.base.duplicate({ connectionName: TAIL_CONNECTION_NAME });
  }

  /** Back for the next stream; only call it when no command is pending on `conn`. */
  give(conn: Redis): void {
    if (this.closed || conn.status !== 'ready' || this.idle.length >= this.maxIdle) {
      conn.disconnect();
      return;
    }
    this.idle.push(conn);
  }

  /** Kept for the next stream now. */
  get idleCount(): number {
    return this.idle.length;
  }

  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) conn.disconnect();
  }
}
