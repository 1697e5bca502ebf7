import type { Logger } from '../core/logger';
import { attemptSignal, raceAbort, sleep } from './abort';
import type { CircuitBreaker } from './circuit';
import { toProviderError } from './classify';
import type { ProviderConfig } from './config';
import { isAbortError, LlmAbortError, ProviderError } from './errors';
import type { RedisRateLimiter } from './rate-limit';
import { retryDelay } from './retry';
import type { RedisSemaphore } from './semaphore';
import type { ProviderAdapter } from './types';

/** One configured provider with its shared (Redis-backed) guards. */
export interface ProviderRuntime {
  cfg: ProviderConfig;
  adapter: ProviderAdapter;
  breaker: CircuitBreaker;
  semaphore?: RedisSemaphore;
  limiter?: RedisRateLimiter;
}

export interface CallContext {
  /** The caller's signal. */
  signal?: AbortSignal;
  /** Fires when the Llm closes. */
  closing: AbortSignal;
  log: Logger;
  /** Longest wait for a concurrency slot or a rate-limit admission. */
  acquireTimeoutMs: number;
  random: () => number;
}

/** Per attempt: whether text already reached the caller's onDelta. */
export interface AttemptState {
  streamed: boolean;
  /** Marks activity: resets the attempt's idle timeout. */
  touch: () => void;
  /** Set when the attempt is over: late deltas from a torn-down stream are dropped. */
  settled: boolean;
}

/**
 * Runs `run` against one provider: takes a rate-limit admission and a
 * concurrency slot per HTTP attempt, applies the attempt timeout, and retries
 * retryable failures (429, 5xx, network, timeout) with backoff, honouring
 * Retry-After. Never retries once text was streamed, nor after an abort.
 * Throws ProviderError or LlmAbortError only.
 */
export async function callWithRetries<T>(
  rt: ProviderRuntime,
  model: string,
  ctx: CallContext,
  maxAttempts: number,
  counter: { requests: number },
  run: (signal: AbortSignal, state: AttemptState) => Promise<T>,
): Promise<T> {
  const { cfg } = rt;
  const stop = AbortSignal.any([ctx.closing, ...(ctx.signal ? [ctx.signal] : [])]);
  const abortError = () => new LlmAbortError(ctx.signal?.aborted ? ctx.signal.reason : ctx.closing.reason);

  for (let attempt = 1; ; attempt++) {
    if (stop.aborted) throw abortError();
    if (rt.limiter && !(await rt.limiter.take(stop, ctx.acquireTimeoutMs, ctx.random))) {
      throw new ProviderError(`${cfg.name}: rate limit (${cfg.rateLimit?.requests}/${cfg.rateLimit?.perMs} ms) stayed full for ${ctx.acquireTimeoutMs} ms`, { kind: 'busy', provider: cfg.name, model });
    }
    const lease = rt.semaphore ? await rt.semaphore.acquire(stop, ctx.acquireTimeoutMs, ctx.random) : undefined;
    if (rt.semaphore && !lease) {
      throw new ProviderError(`${cfg.name}: all ${cfg.maxConcurrency} concurrency slots stayed busy for ${ctx.acquireTimeoutMs} ms`, { kind: 'busy', provider: cfg.name, model });
    }
    const timing = attemptSignal([ctx.signal, ctx.closing], cfg.timeoutMs);
    const state: AttemptState = { streamed: false, settled: false, touch: timing.touch };
    let error: ProviderError;
    try {
      counter.requests++;
      return await raceAbort(run(timing.signal, state), stop);
    } catch (err) {
      if (stop.aborted) throw abortError();
      error = classify(err, timing.timedOut(), cfg, model);
      if (state.streamed) {
        const cause = error.message.startsWith(`${cfg.name}: `) ? error.message.slice(cfg.name.length + 2) : error.message;
        error = new ProviderError(`${cfg.name}: the stream broke after text was delivered: ${cause}`, {
          kind: 'stream', provider: cfg.name, model, statusCode: error.statusCode, streamed: true,
        });
      }
    } finally {
      state.settled = true;
      timing.dispose();
      // Not awaited: the caller must not wait on Redis to learn its call ended.
      lease?.release().catch((err) => ctx.log.warn({ err, provider: cfg.name }, 'releasing an LLM concurrency slot failed; it expires on its own'));
    }

    if (!error.retryable || attempt >= maxAttempts) throw error;
    const delayMs = retryDelay(attempt, cfg.retry, error.retryAfterMs, ctx.random);
    if (delayMs === undefined) throw error; // Retry-After beyond maxRetryAfterMs: try the next provider instead
    ctx.log.warn({ provider: cfg.name, model, attempt, kind: error.kind, statusCode: error.statusCode, delayMs }, 'LLM request failed; retrying');
    try {
      await sleep(delayMs, stop);
    } catch {
      throw abortError();
    }
  }
}

function classify(err: unknown, timedOut: boolean, cfg: ProviderConfig, model: string): ProviderError {
  if (timedOut) return new ProviderError(`${cfg.name}: no answer for ${cfg.timeoutMs} ms`, { kind: 'timeout', provider: cfg.name, model });
  if (isAbortError(err)) return new ProviderError(`${cfg.name}: the request was cancelled`, { kind: 'network', provider: cfg.name, model });
  return toProviderError(err, { provider: cfg.name, model, secrets: cfg.apiKey ? [cfg.apiKey] : [] });
}
