import { failedDependency } from '../dependency-errors';
import { SandboxInfraError } from '../errors';
import { ProviderError } from '../../llm/errors';
import type { JobFailure } from './model';

/**
 * A job could not be carried out, for a reason with a stable code. `retryable`
 * says whether another attempt can help (a Docker hiccup can; a missing
 * provider cannot). Executors throw it; the lifecycle decides from it alone.
 */
export class JobError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'JobError';
  }
}

export interface ClassifiedFailure extends JobFailure {
  retryable: boolean;
}

/**
 * The one place a failure is classified. Typed errors say what they are;
 * anything else is an unexpected fault of Paddock itself, retried (it may be a
 * transient store or queue error) and reported with its own message.
 */
export function classifyFailure(err: unknown): ClassifiedFailure {
  if (err instanceof JobError) return { code: err.code, message: err.message, retryable: err.retryable };
  if (err instanceof SandboxInfraError) return { code: 'sandbox_unavailable', message: `the sandbox failed: ${err.message}`, retryable: true };
  if (err instanceof ProviderError) return classifyProvider(err);
  const dependency = failedDependency(err);
  if (dependency === 'MongoDB') return { code: 'store_unavailable', message: `MongoDB failed: ${(err as Error).message}`, retryable: true };
  if (dependency === 'Redis') return { code: 'queue_unavailable', message: `Redis failed: ${(err as Error).message}`, retryable: true };
  const e = err instanceof Error ? err : new Error(String(err));
  return { code: 'unexpected', message: `unexpected ${e.name}: ${e.message}`.slice(0, 500), retryable: true };
}

/**
 * LLM calls are already retried with backoff and fallback inside the LLM layer
 * (llm/): when a ProviderError reaches the job, those retries are spent, so
 * another job attempt would only repeat them.
 */
function classifyProvider(err: ProviderError): ClassifiedFailure {
  const who = err.provider ? `provider "${err.provider}"${err.model ? ` (model ${err.model})` : ''}` : 'no provider';
  switch (err.kind) {
    case 'capability':
      return { code: 'no_provider', message: err.message, retryable: false };
    case 'client':
      return { code: 'provider_rejected', message: `${who} rejected the request: ${err.message}`, retryable: false };
    case 'rate_limited':
      return { code: 'provider_rate_limited', message: `${who} is rate limiting: ${err.message}`, retryable: false };
    default:
      return { code: 'provider_unavailable', message: `${who} is unavailable: ${err.message}`, retryable: false };
  }
}
