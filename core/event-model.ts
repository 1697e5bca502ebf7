import type { RunResult, RunState } from './runs';
import type { SessionResult } from './sessions';
import type { TestResult } from './testing';
import type { IterationSummary, MessageDoc } from './experiments';
import type { PullProgress } from './models/pull';

/**
 * Job events: everything observable a run, an experiment or a model pull does.
 * Each has a per-job `seq` (1, 2, 3, …) assigned atomically in Redis,
 * where a stream per run is the live channel any API instance can tail. MongoDB
 * holds the durable copy: `sync` copies the stream into it in batches, and a run
 * is only marked terminal after its events are all in MongoDB.
 */

export interface EventDataMap {
  status: { status: RunState; attempt?: number; reason?: string };
  /** Program output; `action` names the agent action whose program printed it. */
  stdout: { chunk: string; action?: string };
  /**
   * A piece of model output as it streams; `model` says which answer it belongs to.
   * Experiments add the speaking agent and the message (iteration, seq) the piece belongs to.
   */
  token: { model: string; delta: string; agent?: string; iteration?: number; seq?: number };
  /** One structured test's outcome. */
  test: TestResult;
  /** A completed phase of a multi-step run (e.g. one model's answer). */
  step: { name: string } & Record<string, unknown>;
  stderr: { chunk: string; action?: string };
  result: RunResult | SessionResult;
  error: { code: string; message: string };
  end: { status: RunState };
  /** Experiments: a message, sent after it was persisted (at least once: key it by iteration and seq). */
  message: Omit<MessageDoc, '_id' | 'announced'>;
  /** Experiments: an iteration started (status running) or ended (with its totals and termination). */
  iteration: IterationSummary;
  /** Model pulls: aggregate download progress (throttled). */
  progress: PullProgress;
  /** Sessions: what happened in the session (its runs have their own streams too). */
  session: {
    event: 'opened' | 'run_started' | 'run_ended' | 'file_written' | 'file_deleted';
    runId?: string;
    status?: RunState;
    path?: string;
    size?: number;
    containerId?: string;
  };
  /** Model pulls: the download stream failed and is retried after `delayMs`. */
  retry: { retry: number; reason: string; delayMs: number };
}
export type EventType = keyof EventDataMap;

export interface JobEvent<T extends EventType = EventType> {
  seq: number;
  type: T;
  data: EventDataMap[T];
  /** Milliseconds since the epoch, from the emitting process's clock. */
  ts: number;
}

export type NewEvent = { [T in EventType]: { type: T; data: EventDataMap[T] } }[EventType];

/** The terminal outcome, written once per run. */
export interface Finale {
  status: RunState;
  result?: RunResult | SessionResult;
  error?: { code: string; message: string };
}

