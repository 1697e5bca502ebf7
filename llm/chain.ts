import { callWithRetries, type AttemptState, type CallContext, type ProviderRuntime } from './attempt';
import type { CircuitDecision } from './circuit';
import { isAbortError, ProviderError, type ProviderErrorKind } from './errors';
import type { PlanStep } from './plan';
import type { Attempt } from './types';

export interface ChainOptions {
  /** testIntegration: call even when the circuit is open (the outcome still counts). */
  ignoreCircuit?: boolean;
  /** Overrides each provider's retry.maxAttempts. */
  maxAttempts?: number;
}

export interface ChainResult<T> {
  value: T;
  step: PlanStep;
  attempts: Attempt[];
  /** Time spent on the step that answered (its retries, waits for slots and the answer itself). */
  stepMs: number;
}

/**
 * Walks the plan: skips providers whose circuit is open, runs the rest with
 * retries, reports each outcome to the provider's circuit, and falls through to
 * the next provider on failure. Two things end the walk early: an abort
 * (rethrown, not counted against the provider) and a stream that broke after
 * text was delivered (the caller already showed that text; answering from
 * another model would splice two answers, so the call fails).
 */
export async function runChain<T>(
  plan: PlanStep[],
  runtimes: Map<string, ProviderRuntime>,
  ctx: CallContext,
  opts: ChainOptions,
  run: (rt: ProviderRuntime, model: string, signal: AbortSignal, state: AttemptState) => Promise<T>,
): Promise<ChainResult<T>> {
  const attempts: Attempt[] = [];
  let last: ProviderError | undefined;

  for (const step of plan) {
    if (step.skip) {
      attempts.push({ provider: step.provider, model: step.model, outcome: 'skipped', reason: step.skip, requests: 0 });
      continue;
    }
    const rt = runtimes.get(step.provider)!;
    const { decision, failures } = opts.ignoreCircuit ? { decision: 'closed' as const, failures: -1 } : await circuitDecision(rt, ctx);
    if (decision === 'open') {
      attempts.push({ provider: step.provider, model: step.model, outcome: 'skipped', reason: 'circuit open', requests: 0 });
      continue;
    }
    const probe = decision === 'probe';
    const counter = { requests: 0 };
    const stepStarted = Date.now();
    try {
      // A half-open probe is one request: hammering a recovering provider with retries defeats the cool-down.
      const maxAttempts = probe ? 1 : (opts.maxAttempts ?? rt.cfg.retry.maxAttempts);
      const value = await callWithRetries(rt, step.model, ctx, maxAttempts, counter, (signal, state) => run(rt, step.model, signal, state));
      attempts.push({ provider: step.provider, model: step.model, outcome: 'ok', requests: counter.requests });
      // Writing only when there is something to reset keeps the healthy path at one Redis call.
      if (probe || failures !== 0) await guard(ctx, rt, 'recording a success', () => rt.breaker.success());
      return { value, step, attempts, stepMs: Date.now() - stepStarted };
    } catch (err) {
      if (isAbortError(err) || !(err instanceof ProviderError)) {
        if (probe) await guard(ctx, rt, 'returning a probe', () => rt.breaker.releaseProbe());
        throw err;
      }
      attempts.push({ provider: step.provider, model: step.model, outcome: 'failed', reason: err.message, requests: counter.requests });
      if (err.providerFault) {
        const state = await guard(ctx, rt, 'recording a failure', () => rt.breaker.failure(probe));
        if (state === 'open') ctx.log.warn({ provider: step.provider }, 'LLM provider circuit opened');
      } else if (probe) {
        await guard(ctx, rt, 'returning a probe', () => rt.breaker.releaseProbe());
      }
      if (err.streamed) throw withAttempts(err, err.message, err.kind, attempts);
      ctx.log.warn({ provider: step.provider, model: step.model, kind: err.kind, statusCode: err.statusCode }, 'LLM provider failed; trying the next one');
      last = err;
    }
  }

  // Failure reasons already start with the provider's name.
  const reasons = attempts.map((a) => (a.outcome === 'skipped' ? `${a.provider}: skipped (${a.reason})` : a.reason)).join('; ');
  const kind: ProviderErrorKind = last?.kind ?? (attempts.some((a) => a.reason === 'circuit open') ? 'circuit_open' : 'capability');
  const message = attempts.length === 0 ? 'no configured provider can serve this request' : `no provider could serve the request: ${reasons}`;
  throw withAttempts(last, message, kind, attempts);
}

function withAttempts(base: ProviderError | undefined, message: string, kind: ProviderErrorKind, attempts: Attempt[]): ProviderError {
  return new ProviderError(message, {
    kind, provider: base?.provider, model: base?.model, statusCode: base?.statusCode,
    retryAfterMs: base?.retryAfterMs, streamed: base?.streamed, attempts,
  });
}

async function circuitDecision(rt: ProviderRuntime, ctx: CallContext): Promise<{ decision: CircuitDecision; failures: number }> {
  const r = await guard(ctx, rt, 'reading the circuit', () => rt.breaker.acquire());
  return r ?? { decision: 'closed', failures: -1 };
}

/**
 * The breaker is a guard, not a limit: if Redis cannot answer, the call goes
 * ahead as if the circuit were closed, and the problem is logged.
 */
async function guard<T>(ctx: CallContext, rt: ProviderRuntime, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    ctx.log.warn({ err, provider: rt.cfg.name }, `LLM circuit breaker: ${what} failed`);
    return undefined;
  }
}
