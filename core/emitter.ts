import type { Logger } from './logger';
import type { EventLog, NewEvent } from './events';

/**
 * Per-run event emitter for hot producers (output chunks). `emit` never blocks or
 * throws; events are appended in order, batched while an append is in flight, and
 * copied to MongoDB at most once per `syncEveryMs`. `flush` waits for all of it.
 */
export class JobEmitter {
  private pending: NewEvent[] = [];
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private failure: unknown;
  /**
   * Starts at construction, not 0: a run shorter than `syncEveryMs` is copied to
   * MongoDB once, by finalizeJob after its `end` (a copy per run start was one
   * more MongoDB round trip before the program's first output reached Redis).
   */
  private lastSync = Date.now();

  constructor(
    private readonly log: EventLog,
    private readonly runId: string,
    private readonly logger: Logger,
    private readonly syncEveryMs = 1000,
  ) {}

  emit(event: NewEvent): void {
    this.pending.push(event);
    if (this.scheduled) return;
    this.scheduled = true;
    this.chain = this.chain.then(() => this.drain());
  }

  /** Resolves when every emitted event is in Redis and MongoDB; rethrows an append failure. */
  async flush(): Promise<void> {
    await this.settle();
    await this.log.sync(this.runId);
  }

  /**
   * Resolves when every emitted event is in Redis (in order); rethrows an append
   * failure. Enough before `finalizeJob`, which copies everything (the finale
   * included) to MongoDB after the `end` event, so a client's `end` does not
   * wait for a MongoDB write.
   */
  async settle(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.log.append(this.runId, batch);
      if (Date.now() - this.lastSync >= this.syncEveryMs) {
        this.lastSync = Date.now();
        await this.log.sync(this.runId);
      }
    } catch (err) {
      // Must not throw: it would break the chain for later events. `flush` reports it.
      this.failure ??= err;
      this.logger.warn({ err, runId: this.runId }, 'event append failed');
    }
  }
}
