import type { Logger } from '../core/logger';
import { ProviderError } from './errors';
import type { Attempt } from './types';

/**
 * One provider's part in one call of the LLM layer, as reported to
 * `CreateLlmOptions.onCall` (Prometheus metrics, core/metrics). A call that
 * fell back reports each provider that failed, then the one that answered;
 * providers skipped (circuit open, no capability) are not reported.
 */
export interface LlmCallReport {
  provider: string;
  model: string;
  operation: 'chat' | 'embed';
  outcome: 'ok' | 'failed';
  /** Time spent on the provider that answered (its retries and waits for slots included). */
  latencyMs?: number;
  usage?: { inputTokens: number; outputTokens?: number };
  /** Present when the model has a configured price. */
  costUsd?: number;
}

export type LlmCallObserver = (report: LlmCallReport) => void;

/** The reports of a call: its failed attempts, then (when it succeeded) the answer. A throwing observer is logged, never the caller's problem. */
export function reportCall(
  observer: LlmCallObserver | undefined,
  log: Logger,
  operation: LlmCallReport['operation'],
  attempts: Attempt[],
  answer?: Omit<LlmCallReport, 'operation' | 'outcome'>,
): void {
  if (!observer) return;
  try {
    for (const a of attempts) if (a.outcome === 'failed') observer({ provider: a.provider, model: a.model, operation, outcome: 'failed' });
    if (answer) observer({ ...answer, operation, outcome: 'ok' });
  } catch (err) {
    log.warn({ err }, 'an LLM call observer threw; ignoring it');
  }
}

/** The attempts a failed call made, when it got as far as trying providers. */
export function attemptsOf(err: unknown): Attempt[] {
  return err instanceof ProviderError ? (err.attempts ?? []) : [];
}
