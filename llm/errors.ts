import { PaddockError } from '../core/errors';
import type { Attempt } from './types';

/**
 * Why a provider call failed, as the router needs to know it:
 * - rate_limited: 429 (backpressure: retried, not a circuit failure)
 * - server: 5xx / 408 / 529 (retried, counts toward the circuit)
 * - network: connection refused/reset, malformed response (retried, counts)
 * - timeout: the attempt took longer than the provider's timeoutMs (retried, counts)
 * - stream: the stream broke after text was already passed to onDelta (not retried, counts)
 * - client: other 4xx, e.g. bad key, unknown model, bad input (not retried, not counted)
 * - circuit_open, busy: the router did not call the provider at all
 * - capability: no configured provider can serve this request
 */
export type ProviderErrorKind =
  | 'rate_limited' | 'server' | 'network' | 'timeout' | 'stream' | 'client' | 'circuit_open' | 'busy' | 'capability';

export interface ProviderErrorInfo {
  kind: ProviderErrorKind;
  provider?: string;
  model?: string;
  /** The provider's HTTP status, when there was one. */
  statusCode?: number;
  /** From Retry-After / retry-after-ms, in milliseconds. */
  retryAfterMs?: number;
  /** Set when text had already been delivered to onDelta. */
  streamed?: boolean;
  attempts?: Attempt[];
}

/**
 * A provider (or the whole chain) failed. Messages are built by Paddock and
 * scrubbed of keys; the foreign error is not attached as `cause`, because its
 * request details must not reach logs.
 */
export class ProviderError extends PaddockError {
  readonly kind: ProviderErrorKind;
  readonly provider?: string;
  readonly model?: string;
  readonly statusCode?: number;
  readonly retryAfterMs?: number;
  readonly streamed: boolean;
  readonly attempts?: Attempt[];

  constructor(message: string, info: ProviderErrorInfo) {
    const [code, status] = info.kind === 'capability' ? (['validation_error', 400] as const)
      : info.kind === 'rate_limited' ? (['rate_limited', 429] as const)
      : (['unavailable', 503] as const);
    super(code, status, message, info.attempts ? { attempts: info.attempts } : undefined);
    this.kind = info.kind;
    this.provider = info.provider;
    this.model = info.model;
    this.statusCode = info.statusCode;
    this.retryAfterMs = info.retryAfterMs;
    this.streamed = info.streamed ?? false;
    this.attempts = info.attempts;
  }

  /** Worth another attempt on the same provider. */
  get retryable(): boolean {
    if (this.streamed) return false;
    return this.kind === 'rate_limited' || this.kind === 'server' || this.kind === 'network' || this.kind === 'timeout';
  }

  /** Says something about the provider's health (feeds the circuit breaker). */
  get providerFault(): boolean {
    return this.kind === 'server' || this.kind === 'network' || this.kind === 'timeout' || this.kind === 'stream';
  }
}

/** The caller's AbortSignal fired. Never retried, never a provider failure. */
export class LlmAbortError extends Error {
  constructor(reason?: unknown) {
    super('the LLM call was aborted', reason === undefined ? undefined : { cause: reason });
    this.name = 'AbortError';
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err instanceof LlmAbortError);
}

/** Rejects with LlmAbortError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LlmAbortError(signal.reason);
}
