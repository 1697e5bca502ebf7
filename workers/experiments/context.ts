import type { EventLog } from '../../core/events';
import type { Llm } from '../../llm';
import type { Logger } from '../../core/logger';
import type { MessageStore } from '../../core/store/experiment-messages';
import type { ExperimentStore } from '../../core/store/experiments';

/** What the experiment processor needs; narrow, so tests can pass fakes. */
export interface ExperimentContext {
  log: Logger;
  /** Aborted by a cancel request (reason 'cancelled') or by shutdown (reason 'shutdown'). */
  signal: AbortSignal;
  events: EventLog;
  experiments: ExperimentStore;
  messages: MessageStore;
  llm: Llm;
  /** True on the job's last attempt: an infrastructure failure then ends the experiment in `error`. */
  lastAttempt: boolean;
}
