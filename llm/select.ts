import { capabilitiesOf, type LlmConfig } from './config';
import type { AvailableModel, CircuitState, ModelPolicy } from './types';

/** Every configured model as `provider/model`, in configuration order. */
export function listAvailableModels(config: LlmConfig): AvailableModel[] {
  return config.providers.flatMap((p) =>
    p.models.map((m) => {
      const price = p.prices?.[m];
      return { id: `${p.name}/${m}`, provider: p.name, capabilities: capabilitiesOf(p, m), ...(price ? { prices: price } : {}) };
    }),
  );
}

/**
 * Applies a model policy: models with the capability, on providers whose
 * circuit is not open ("healthy" = not known to be failing; no network call),
 * ordered by price (input + output per MTok; unpriced models last) or by
 * configuration order. Ties keep configuration order.
 */
export function applyPolicy(models: AvailableModel[], circuits: Map<string, CircuitState>, policy: ModelPolicy): AvailableModel | undefined {
  const candidates = models.filter(
    (m) => m.capabilities.includes(policy.capability)
      && (!policy.providers || policy.providers.includes(m.provider))
      && circuits.get(m.provider) !== 'open',
  );
  if ((policy.prefer ?? 'cheapest') === 'first') return candidates[0];
  const price = (m: AvailableModel) => (m.prices ? m.prices.inputPerMTok + m.prices.outputPerMTok : Number.POSITIVE_INFINITY);
  return candidates
    .map((m, i) => ({ m, i }))
    .sort((a, b) => price(a.m) - price(b.m) || a.i - b.i)[0]?.m;
}
