import type { Redis } from 'ioredis';
import type { Config } from '../core/config';
import type { EventLog } from '../core/events';
import { parseModelRef } from '../llm';
import type { Logger } from '../core/logger';
import { ensureModelInstalled } from '../core/models/ensure';
import { resolveOllamaServer } from '../core/models/servers';
import type { Queues } from '../core/queues';
import type { Store } from '../core/store';

/**
 * Makes sure a model is installed before a run uses it. `owner` (the run's) can
 * see the pull; `onPull` is told when a pull had to start (or was joined).
 */
export type EnsureModel = (
  modelRef: string,
  signal: AbortSignal,
  opts: { owner: string; onPull: (pullId: string) => void },
) => Promise<void>;

/**
 * Models of `ollama` providers are pulled on first use: the run waits for the
 * pull (started, or joined when one is already running) instead of failing on
 * "model not found". Other provider types are left to the provider.
 */
export function createEnsureModel(deps: {
  config: Config;
  redis: Redis;
  store: Store;
  events: EventLog;
  queues: Queues;
  log: Logger;
}): EnsureModel {
  const { config } = deps;
  return async (modelRef, signal, { owner, onPull }) => {
    if (modelRef === 'auto' || !modelRef.includes('/')) return;
    const { provider, model } = parseModelRef(modelRef, config.llm);
    const p = config.llm.providers.find((x) => x.name === provider);
    if (p?.type !== 'ollama' || !model) return;
    await ensureModelInstalled(
      { store: deps.store, events: deps.events, queues: deps.queues, log: deps.log, redis: deps.redis, ollamaTimeoutMs: config.OLLAMA_TIMEOUT_MS },
      resolveOllamaServer(config, provider),
      model,
      signal,
      { owner, onPullStarted: onPull },
    );
  };
}
