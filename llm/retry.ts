import type { ProviderSettings } from './config';

/**
 * The pause before retry number `attempt` (1 = the first retry): exponential
 * backoff with "equal jitter" (half fixed, half random, so pauses never collapse
 * to zero), at least the server's Retry-After plus up to 10% jitter so that
 * throttled workers do not all return in the same millisecond.
 * Undefined when the server asks for a longer pause than `maxRetryAfterMs`:
 * the call should move on to the next provider instead of waiting.
 */
export function retryDelay(
  attempt: number, policy: ProviderSettings['retry'], retryAfterMs: number | undefined, random: () => number,
): number | undefined {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const backoff = exp / 2 + (random() * exp) / 2;
  if (retryAfterMs === undefined) return Math.round(backoff);
  if (retryAfterMs > policy.maxRetryAfterMs) return undefined;
  return Math.round(Math.max(backoff, retryAfterMs + random() * retryAfterMs * 0.1));
}
