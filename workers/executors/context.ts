import type { JobEmitter } from '../../core/emitter';
import type { EventLog, Finale } from '../../core/events';
import type { Llm } from '../../llm';
import type { Logger } from '../../core/logger';
import type { RunDoc } from '../../core/runs';
import type { ArtifactStore } from '../../core/store/artifacts';
import type { RunStore } from '../../core/store/runs';
import type { RunFileStore } from '../../core/store/run-files';
import type { OutputRequest, Sandbox } from '../../sandbox/types';
import type { EnsureModel } from '../ensure-model';
import type { SessionRuns } from '../sessions/holder';

/** What a run executor gets: the job context plus the worker's parts; narrow, so tests can pass fakes. */
export interface RunContext {
  log: Logger;
  /** Aborted by a cancel request (reason 'cancelled') or by shutdown (reason 'shutdown'). */
  signal: AbortSignal;
  events: EventLog;
  runs: RunStore;
  sandbox: Sandbox;
  llm: Llm;
  artifacts: ArtifactStore;
  /** Where the files a run made (`outputs`) are kept. */
  runFiles: Pick<RunFileStore, 'replace'>;
  /** The server's caps on those files. */
  outputCaps: Omit<OutputRequest, 'globs' | 'mode'>;
  /** Pulls a model onto its Ollama server when it is not installed yet (no-op for other providers). */
  ensureModel?: EnsureModel;
  /** The sessions this worker holds: a session run runs in its session's container. */
  sessions?: SessionRuns;
  /** True on the job's last attempt. */
  lastAttempt: boolean;
}

/** Runs one kind of run to its finale; output goes out through the emitter as it happens. */
export type Executor = (run: RunDoc, ctx: RunContext, emitter: JobEmitter) => Promise<Finale>;

