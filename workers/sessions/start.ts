import type { Redis } from 'ioredis';
import type { Closer } from '../../core/closer';
import type { RunDoc } from '../../core/runs';
import { SessionRpcServer } from '../../core/session-rpc';
import type { SessionDoc } from '../../core/sessions';
import type { SandboxSession } from '../../sandbox';
import type { JobHandler, LifecycleDeps } from '../lifecycle';
import { sessionHandler } from './handler';
import { SessionHolder } from './holder';
import { SessionRunStarter } from './runs';

export interface WorkerSessionsDeps {
  /** This worker process (its ownerId): the holder API nodes address. */
  holderId: string;
  redis: Redis;
  /** The lifecycle session runs go through, as queued runs do. */
  lifecycle: LifecycleDeps;
  openSession(o: { sessionId: string; limits: SessionDoc['limits'] }): Promise<SandboxSession>;
}

/** The session side of a worker process (workers/index.ts), built before its BullMQ consumers. */
export interface WorkerSessions {
  /** Where session runs execute: the run handler's `sessions`. */
  holder: SessionHolder;
  /** SESSION_JOB's handler: one job active per held session. */
  handler: JobHandler<SessionDoc>;
  /** Session runs go through the worker's run handler, which needs `holder` first: set it once made. */
  useRunHandler(runs: JobHandler<RunDoc>): void;
  /** Shutdown, before the BullMQ workers drain: every session ends now (`worker_shutdown`), then its runs settle. */
  endAll(): Promise<void>;
}

/**
 * Opens the holder and the channel API nodes send it requests on
 * (core/session-rpc.ts); the channel's release is registered on `closer`.
 */
export async function startWorkerSessions(deps: WorkerSessionsDeps, closer: Closer): Promise<WorkerSessions> {
  const { config, log, store, events, queues, metrics, cancels } = deps.lifecycle;
  const runs = new SessionRunStarter(cancels, deps.lifecycle, log);
  const holder = new SessionHolder({
    holderId: deps.holderId,
    openSession: deps.openSession,
    startRun: (id) => runs.start(id),
    fileMaxBytes: config.SESSION_FILE_MAX_BYTES,
    store, events, queues, metrics, log: log.child({ component: 'sessions' }),
  });
  const rpc = await SessionRpcServer.listen(deps.redis, deps.redis.duplicate(), config.QUEUE_PREFIX, deps.holderId, (req) => holder.handle(req), log);
  closer.add('session requests', () => rpc.close());
  return {
    holder,
    handler: sessionHandler(holder, config.SESSION_CONCURRENCY),
    useRunHandler: (handler) => {
      runs.handler = handler;
    },
    endAll: async () => {
      holder.closeAll();
      await runs.settled();
    },
  };
}
