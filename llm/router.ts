import type { Redis } from 'ioredis';
import { NotFoundError, ValidationError } from '../core/errors';
import { silentLogger, type Logger } from '../core/logger';
import { attemptSignal } from './abort';
import type { AttemptState, CallContext, ProviderRuntime } from './attempt';
import { createBalancer } from './balance';
import { runChain, type ChainOptions, type ChainResult } from './chain';
import { CircuitBreaker } from './circuit';
import { capabilitiesOf, type Capability, type LlmConfig } from './config';
import { costUsd } from './cost';
import { isAbortError, ProviderError } from './errors';
import { parseModelRef, pickModel, planCall, type PlanStep } from './plan';
import { createAdapter } from './providers';
import { attemptsOf, reportCall, type LlmCallObserver } from './observe';
import { hasImages } from './providers/messages';
import { RedisRateLimiter } from './rate-limit';
import { applyPolicy, listAvailableModels } from './select';
import { RedisSemaphore } from './semaphore';
import type { ChatRequest, ChatResult, CircuitState, EmbedRequest, EmbedResult, GenerateRequest, Integration, Llm, TestIntegrationResult } from './types';

export interface CreateLlmOptions {
  config: LlmConfig;
  /** Shared state (circuits, concurrency slots, rate windows) lives here. Not closed by close(). */
  redis: Redis;
  log?: Logger;
  /** Redis key namespace, e.g. QUEUE_PREFIX. Keys are `<prefix>:llm:<provider>:…`. Default 'paddock'. */
  prefix?: string;
  /** The HTTP client for every provider request. Default: global fetch. */
  fetch?: typeof fetch;
  /** Longest wait for a concurrency slot or rate-limit admission before moving on to the next provider. Default 60 s. */
  acquireTimeoutMs?: number;
  /** Lifetime of a concurrency lease that is not renewed (a crashed holder frees its slot after this). Default 30 s. */
  leaseTtlMs?: number;
  /** Per-provider time limit of integrations() health checks. Default 5 s. */
  healthTimeoutMs?: number;
  /** Random source for jitter; tests may pin it. */
  random?: () => number;
  /** Told about every provider a call tried: outcome, latency, tokens, cost (metrics). Must be cheap; a throw is logged. */
  onCall?: LlmCallObserver;
}

const TEST_PROMPT = 'Reply with the single word: pong';

/** Builds the LLM layer: one adapter per configured provider behind retries, limits, circuits and fallback. */
export function createLlm(opts: CreateLlmOptions): Llm {
  const { config, redis } = opts;
  const log = (opts.log ?? silentLogger()).child({ component: 'llm' });
  const prefix = opts.prefix ?? 'paddock';
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const leaseTtlMs = opts.leaseTtlMs ?? 30_000;
  const closing = new AbortController();
  const inflight = new Set<Promise<unknown>>();
  let closed: Promise<void> | undefined;

  const runtimes = new Map<string, ProviderRuntime>(
    config.providers.map((cfg) => {
      const key = (part: string) => `${prefix}:llm:${cfg.name}:${part}`;
      const rt: ProviderRuntime = {
        cfg,
        adapter: createAdapter(cfg, fetchFn),
        breaker: new CircuitBreaker(redis, key('circuit'), {
          failureThreshold: cfg.circuit.failureThreshold,
          coolDownMs: cfg.circuit.coolDownMs,
          probeLeaseMs: cfg.timeoutMs + 5_000,
        }),
        semaphore: cfg.maxConcurrency
          ? new RedisSemaphore({
            redis, key: key('slots'), limit: cfg.maxConcurrency, ttlMs: leaseTtlMs,
            onLeaseLost: (reason) => log.warn({ provider: cfg.name, reason }, 'LLM concurrency lease lost'),
          })
          : undefined,
        limiter: cfg.rateLimit ? new RedisRateLimiter({ redis, key: key('rate'), ...cfg.rateLimit }) : undefined,
      };
      return [cfg.name, rt];
    }),
  );

  const balancer = createBalancer({ config, redis, prefix, log });

  /** The plan of a call; a balanced model's targets come in the order the balancer picks for this call. */
  async function plan(requested: string | undefined, needs: Capability[], allowFallback: boolean): Promise<PlanStep[]> {
    const group = requested === undefined ? undefined : parseModelRef(requested, config).balance;
    return planCall(config, requested, needs, allowFallback, group ? await balancer.order(group) : undefined);
  }

  /** Feeds least-latency balancing with the answering step's time. */
  async function noteSuccess(result: ChainResult<unknown>): Promise<void> {
    await balancer.recordSuccess({ provider: result.step.provider, model: result.step.model }, result.stepMs);
  }

  const context = (signal?: AbortSignal): CallContext => ({
    signal, closing: closing.signal, log, acquireTimeoutMs: opts.acquireTimeoutMs ?? 60_000, random: opts.random ?? Math.random,
  });

  function track<T>(p: Promise<T>): Promise<T> {
    inflight.add(p);
    const done = () => inflight.delete(p);
    p.then(done, done);
    return p;
  }

  async function chat(req: ChatRequest, chainOpts: ChainOptions = {}): Promise<ChatResult> {
    const started = Date.now();
    const needs: Capability[] = hasImages(req.messages) ? ['chat', 'vision'] : ['chat'];
    const steps = await plan(await resolveAuto(req.model, needs[0]!), needs, req.fallback ?? true);
    const ctx = context(req.signal);
    const result = await runChain(steps, runtimes, ctx, chainOpts, (rt, model, signal, state) =>
      rt.adapter.chat({
        model, messages: req.messages, temperature: req.temperature, maxOutputTokens: req.maxOutputTokens, signal,
        onDelta: req.onDelta ? deltaSink(req.onDelta, state, log) : undefined,
      })).catch((err: unknown) => {
      reportCall(opts.onCall, log, 'chat', attemptsOf(err));
      throw err;
    });
    await noteSuccess(result);
    const { value, step, attempts } = result;
    const cost = costUsd(runtimes.get(step.provider)!.cfg.prices?.[step.model], value.usage);
    reportCall(opts.onCall, log, 'chat', attempts, { provider: step.provider, model: step.model, latencyMs: result.stepMs, usage: value.usage, costUsd: cost });
    return {
      text: value.text, usage: value.usage, ...(cost !== undefined ? { costUsd: cost } : {}),
      model: `${step.provider}/${step.model}`, latencyMs: Date.now() - started, finishReason: value.finishReason, attempts,
    };
  }

  async function embed(req: EmbedRequest): Promise<EmbedResult> {
    const started = Date.now();
    if (req.values.length === 0) throw new ValidationError('embed: values must not be empty');
    const steps = await plan(await resolveAuto(req.model, 'embeddings'), ['embeddings'], req.fallback ?? true);
    const result = await runChain(steps, runtimes, context(req.signal), {}, (rt, model, signal) =>
      rt.adapter.embed({ model, values: req.values, signal })).catch((err: unknown) => {
      reportCall(opts.onCall, log, 'embed', attemptsOf(err));
      throw err;
    });
    await noteSuccess(result);
    const { value, step, attempts } = result;
    const cost = costUsd(runtimes.get(step.provider)!.cfg.prices?.[step.model], value.usage);
    reportCall(opts.onCall, log, 'embed', attempts, { provider: step.provider, model: step.model, latencyMs: result.stepMs, usage: value.usage, costUsd: cost });
    return {
      embeddings: value.embeddings, usage: value.usage, ...(cost !== undefined ? { costUsd: cost } : {}),
      model: `${step.provider}/${step.model}`, latencyMs: Date.now() - started, attempts,
    };
  }

  /** "auto": the cheapest healthy model with the capability (the declared default policy), for every kind of call. */
  async function resolveAuto(model: string | undefined, capability: Capability): Promise<string | undefined> {
    if (model !== 'auto') return model;
    const picked = await selectModel({ capability, prefer: 'cheapest' });
    if (!picked) throw new ProviderError(`no healthy ${capability} model is configured for "auto"`, { kind: 'capability' });
    return picked.id;
  }

  async function selectModel(policy: Parameters<Llm['selectModel']>[0]) {
    const states = await Promise.all([...runtimes.values()].map(async (rt) => [rt.cfg.name, await circuitState(rt)] as const));
    return applyPolicy(listAvailableModels(config), new Map(states), policy);
  }

  async function circuitState(rt: ProviderRuntime): Promise<CircuitState> {
    try {
      return await rt.breaker.state();
    } catch (err) {
      log.warn({ err, provider: rt.cfg.name }, 'reading an LLM circuit failed');
      return 'closed';
    }
  }

  async function integration(rt: ProviderRuntime, signal?: AbortSignal): Promise<Integration> {
    const timing = attemptSignal([signal, closing.signal], opts.healthTimeoutMs ?? 5_000);
    try {
      const [health, circuit] = await Promise.all([rt.adapter.health(timing.signal), circuitState(rt)]);
      const timedOut = timing.timedOut();
      return {
        name: rt.cfg.name, type: rt.cfg.type, health: health.ok ? 'ok' : 'down', latencyMs: health.latencyMs,
        ...(health.ok ? {} : { error: timedOut ? `no answer within ${opts.healthTimeoutMs ?? 5_000} ms` : health.error }),
        modelCount: health.modelCount ?? rt.cfg.models.length, circuit,
      };
    } finally {
      timing.dispose();
    }
  }

  async function testIntegration(name: string, o: { prompt?: string; model?: string; signal?: AbortSignal } = {}): Promise<TestIntegrationResult> {
    const rt = runtimes.get(name);
    if (!rt) throw new NotFoundError(`unknown integration "${name}"`);
    const started = Date.now();
    try {
      let model = o.model?.startsWith(`${name}/`) ? o.model.slice(name.length + 1) : o.model;
      if (!model) {
        model = pickModel(rt.cfg, ['chat']);
        // Nothing configured (typical for Ollama): ask the server and take its first chat model.
        if (!model) {
          const timing = attemptSignal([o.signal, closing.signal], opts.healthTimeoutMs ?? 5_000);
          const listed = await rt.adapter.listModels(timing.signal).finally(() => timing.dispose());
          model = listed.find((m) => capabilitiesOf(rt.cfg, m).includes('chat'));
        }
      }
      if (!model) return { success: false, error: `${name}: no chat model configured or reported`, latency_ms: Date.now() - started };
      const res = await chat(
        { model: `${name}/${model}`, messages: [{ role: 'user', content: o.prompt ?? TEST_PROMPT }], maxOutputTokens: 256, signal: o.signal, fallback: false },
        { ignoreCircuit: true, maxAttempts: 1 },
      );
      return { success: true, response: res.text, latency_ms: Date.now() - started, model_used: res.model };
    } catch (err) {
      if (isAbortError(err)) throw err;
      const message = err instanceof Error ? err.message : 'unknown error';
      return { success: false, error: message, latency_ms: Date.now() - started };
    }
  }

  return {
    chat: (req) => track(chat(req)),
    generate: (req) => {
      const { prompt, system, ...rest } = req;
      const messages: ChatRequest['messages'] = [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user', content: prompt }];
      return track(chat({ ...rest, messages }));
    },
    embed: (req) => track(embed(req)),
    integrations: (o = {}) => track(Promise.all([...runtimes.values()].map((rt) => integration(rt, o.signal)))),
    testIntegration: (name, o) => track(testIntegration(name, o)),
    availableModels: () => listAvailableModels(config),
    selectModel,
    close() {
      closed ??= (async () => {
        closing.abort(new Error('the LLM layer is closing'));
        await Promise.allSettled([...inflight]);
      })();
      return closed;
    },
  };
}

/**
 * Passes deltas to the caller and notes that text went out (which forbids a
 * retry). A throwing listener is logged, not allowed to break the stream.
 */
function deltaSink(onDelta: (text: string) => void, state: AttemptState, log: Logger): (text: string) => void {
  let complained = false;
  return (text) => {
    if (state.settled || text === '') return;
    state.streamed = true;
    state.touch();
    try {
      onDelta(text);
    } catch (err) {
      if (!complained) log.warn({ err }, 'an LLM onDelta listener threw; ignoring it');
      complained = true;
    }
  };
}
