/**
 * Removal of sandbox containers, off the hot path but guaranteed: every
 * container is registered the moment Docker returns its id and stays registered
 * until a remove is confirmed. A removal is retried with backoff; what still
 * fails is retried by `close()`, and the reaper (by label) is the last resort.
 */
import type { Logger } from '../core/logger';
import type { DockerClient } from './docker';

const ATTEMPTS = 3;
const BACKOFF_MS = 200;

export class Janitor {
  /** Created and not yet confirmed removed. */
  private readonly live = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly docker: DockerClient,
    private readonly log: Logger,
    private readonly onRemoved?: (id: string) => void,
  ) {}

  /** Call as soon as a container exists. */
  track(id: string): void {
    this.live.add(id);
  }

  /** Containers created and not yet removed. */
  get size(): number {
    return this.live.size;
  }

  /**
   * Force-removes (kills if running) in the background, retrying; never throws.
   * The returned promise settles when this attempt series ends.
   */
  dispose(id: string): Promise<void> {
    const running = this.inFlight.get(id);
    if (running) return running;
    const p = this.removeWithRetries(id).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, p);
    return p;
  }

  /** Waits for removals in progress, then removes whatever is still registered. */
  async removeAll(): Promise<void> {
    await Promise.all([...this.inFlight.values()]);
    await Promise.all([...this.live].map((id) => this.dispose(id)));
  }

  private async removeWithRetries(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.docker.container(id).remove();
        this.live.delete(id);
        this.onRemoved?.(id);
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS) {
          // Still registered: close() tries again; the reaper is the last resort.
          this.log.error({ err, containerId: id }, 'could not remove sandbox container');
          return;
        }
        await new Promise((r) => setTimeout(r, BACKOFF_MS * attempt));
      }
    }
  }
}
