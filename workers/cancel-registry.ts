import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger';

/**
 * Cancel requests reach the worker running a run through one Redis pub/sub
 * channel, whichever API instance received the DELETE. The run's AbortController
 * is registered before the run document is read, so a request that lands
 * between the two is still seen (the document carries `cancelRequested`).
 */
export class CancelRegistry {
  private readonly controllers = new Map<string, AbortController>();

  private constructor(private readonly sub: Redis) {}

  static async listen(sub: Redis, channel: string, log: Logger): Promise<CancelRegistry> {
    const registry = new CancelRegistry(sub);
    sub.on('message', (_channel: string, runId: string) => {
      const controller = registry.controllers.get(runId);
      if (controller && !controller.signal.aborted) {
        log.info({ runId }, 'cancel requested: killing the run');
        controller.abort('cancelled');
      }
    });
    await sub.subscribe(channel);
    return registry;
  }

  register(runId: string): AbortController {
    const controller = new AbortController();
    this.controllers.set(runId, controller);
    return controller;
  }

  release(runId: string, controller: AbortController): void {
    if (this.controllers.get(runId) === controller) this.controllers.delete(runId);
  }

  /** Second stage of shutdown: every run in flight is killed and left for retry. */
  abortAll(reason: string): void {
    for (const c of this.controllers.values()) c.abort(reason);
  }

  async close(): Promise<void> {
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}
