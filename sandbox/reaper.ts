/**
 * Removes sandbox containers whose owner (a worker instance) is dead: a worker
 * that crashed mid-run leaves its containers behind; every container carries
 * `paddock.sandbox=1` and `paddock.owner=<ownerId>` (spec.ts), so any live
 * worker can sweep them. Only containers of the reaper's own scope
 * (`paddock.scope`, see spec.ts) are judged: another deployment's owners are
 * invisible to our liveness check, not dead. Containers without an owner label
 * are left alone (the image's own label is inherited by any container).
 */
import type { Logger } from '../core/logger';
import { createDockerClient } from './docker';
import { DEFAULT_SCOPE, LABEL_OWNER, LABEL_RUN, LABEL_SANDBOX, LABEL_SCOPE } from './spec';

export interface ReaperOptions {
  socketPath: string;
  /** Same as the sandboxes' `scope` (e.g. the queue prefix). Default 'default'. */
  scope?: string;
  /** Whether the worker instance `ownerId` is still alive (e.g. its Redis heartbeat key exists). */
  isOwnerAlive(ownerId: string): Promise<boolean>;
  log: Logger;
}

export function createReaper(opts: ReaperOptions): { sweep(): Promise<number> } {
  const docker = createDockerClient(opts.socketPath);
  return {
    /** One pass; returns how many containers were removed. Throws SandboxInfraError if Docker can't list. */
    async sweep(): Promise<number> {
      const scope = opts.scope ?? DEFAULT_SCOPE;
      const all = await docker.listContainers([`${LABEL_SANDBOX}=1`, `${LABEL_SCOPE}=${scope}`, LABEL_OWNER]);
      const byOwner = new Map<string, typeof all>();
      for (const c of all) {
        const owner = c.labels[LABEL_OWNER];
        if (!owner) continue;
        byOwner.set(owner, [...(byOwner.get(owner) ?? []), c]);
      }
      let removed = 0;
      for (const [owner, list] of byOwner) {
        let alive: boolean;
        try {
          alive = await opts.isOwnerAlive(owner);
        } catch (err) {
          // Unknown is not dead: try again next sweep.
          opts.log.warn({ err, owner }, 'reaper: could not tell whether the owner is alive');
          continue;
        }
        if (alive) continue;
        const results = await Promise.allSettled(list.map((c) => docker.container(c.id).remove()));
        results.forEach((r, i) => {
          const c = list[i]!;
          if (r.status === 'fulfilled') {
            removed++;
            opts.log.info({ owner, containerId: c.id, runId: c.labels[LABEL_RUN] }, 'reaper: removed orphaned sandbox container');
          } else {
            opts.log.warn({ err: r.reason, owner, containerId: c.id }, 'reaper: could not remove container');
          }
        });
      }
      return removed;
    },
  };
}
