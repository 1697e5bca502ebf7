import type { RunDoc } from '../../core/runs';
import type { Logger } from '../../core/logger';
import type { CancelRegistry } from '../cancel-registry';
import { processJob, type JobHandler, type LifecycleDeps } from '../lifecycle';

/**
 * Session runs skip the queue: the API node hands one to the worker holding
 * its session, which carries it out here, through the same lifecycle as any
 * queued run (claim, events, cancel, exactly one terminal state). One attempt:
 * another worker has no such session to retry it in.
 */
export class SessionRunStarter {
  handler?: JobHandler<RunDoc>;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly cancels: CancelRegistry,
    private readonly deps: LifecycleDeps,
    private readonly log: Logger,
  ) {}

  start(runId: string): void {
    const handler = this.handler;
    if (!handler) throw new Error('session runs started before the run handler was set');
    const controller = this.cancels.register(runId);
    const log = this.log.child({ id: runId, queue: 'session' });
    const done = processJob(handler, runId, { log, signal: controller.signal, lastAttempt: true }, this.deps)
      .catch((err: unknown) => log.error({ err }, 'session run stopped before its end; the reconciler ends it'))
      .finally(() => {
        this.cancels.release(runId, controller);
        this.inFlight.delete(done);
      });
    this.inFlight.add(done);
  }

  /** Resolves once every session run this process started has ended. */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
