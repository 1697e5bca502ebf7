import { BALANCE_PREFIX, capabilitiesOf, type BalanceGroup, type BalanceTarget, type Capability, type LlmConfig, type ProviderConfig } from './config';
import { ProviderError } from './errors';

/**
 * Which providers a call tries, in order, and with which model.
 *
 * 1. The requested provider (`provider/model`, or `provider` → its first model
 *    with the needed capabilities). An explicitly named model is tried as given:
 *    the provider decides whether it exists.
 * 2. Then LLM_FALLBACK in order (unless the call says fallback: false). A fallback
 *    provider uses the same model name if it lists it with the needed
 *    capabilities, else its first listed model that has them; a provider with no
 *    such model is skipped. No model requested at all: the LLM_FALLBACK order,
 *    or every provider in configuration order when LLM_FALLBACK is empty.
 * A balanced model (`balance/<alias>`, LLM_BALANCE) replaces step 1 with all of
 * its targets, in the order the balancer chose for this call (llm/balance.ts);
 * fallback: false keeps those targets and drops LLM_FALLBACK. A fallback
 * provider that already served as a target is not tried again.
 * Images in the messages add the `vision` capability to what is needed.
 */

export interface PlanStep {
  provider: string;
  model: string;
  /** Set when this provider cannot serve the call; recorded as a skipped attempt. */
  skip?: string;
}

export interface ModelRef {
  provider: string;
  model?: string;
  /** Set for `balance/<alias>`: the group (provider is then `balance`, model the alias). */
  balance?: BalanceGroup;
}

/** `provider/model` → split on the first `/` (model ids may contain `/` and `:`); `balance/<alias>` → that group. */
export function parseModelRef(ref: string, config: LlmConfig): ModelRef {
  const slash = ref.indexOf('/');
  const provider = slash < 0 ? ref : ref.slice(0, slash);
  const model = slash < 0 ? undefined : ref.slice(slash + 1);
  if (config.balance && provider === BALANCE_PREFIX) {
    const group = model ? config.balance[model] : undefined;
    if (!group) {
      const known = Object.keys(config.balance).map((a) => `${BALANCE_PREFIX}/${a}`).join(', ') || 'none';
      throw new ProviderError(`unknown balanced model "${ref}" (LLM_BALANCE defines: ${known})`, { kind: 'capability' });
    }
    return { provider, model, balance: group };
  }
  if (!config.providers.some((p) => p.name === provider)) {
    throw new ProviderError(`unknown provider "${provider}" in model "${ref}" (address models as provider/model)`, { kind: 'capability' });
  }
  if (model === '') throw new ProviderError(`model "${ref}" names no model after the /`, { kind: 'capability', provider });
  return { provider, model };
}

/** The first listed model with every needed capability. */
export function pickModel(p: ProviderConfig, needs: Capability[], prefer?: string): string | undefined {
  const fits = (m: string) => needs.every((c) => capabilitiesOf(p, m).includes(c));
  if (prefer !== undefined && p.models.includes(prefer) && fits(prefer)) return prefer;
  return p.models.find(fits);
}

/**
 * `balanced`: for a `balance/<alias>` request, the group's targets in this
 * call's order (default: configuration order).
 */
export function planCall(
  config: LlmConfig, requested: string | undefined, needs: Capability[], allowFallback: boolean, balanced?: BalanceTarget[],
): PlanStep[] {
  const byName = new Map(config.providers.map((p) => [p.name, p]));
  const ref = requested === undefined ? undefined : parseModelRef(requested, config);
  const first: { provider: string; model?: string }[] = ref?.balance ? (balanced ?? ref.balance.targets) : ref ? [ref] : [];
  const steps: PlanStep[] = [];

  for (const target of first) {
    const p = byName.get(target.provider)!;
    const impossible = needs.includes('embeddings') && p.type === 'anthropic' ? `${p.type} has no embeddings API` : undefined;
    const model = target.model ?? pickModel(p, needs);
    steps.push({ provider: p.name, model: model ?? '', skip: impossible ?? (model ? undefined : `no model with ${needs.join('+')} configured`) });
  }
  if (!ref || allowFallback) {
    const order = config.fallback.length > 0 || ref ? config.fallback : config.providers.map((p) => p.name);
    const tried = new Set(first.map((t) => t.provider));
    for (const name of order) {
      if (tried.has(name)) continue;
      const p = byName.get(name)!;
      const model = pickModel(p, needs, first[0]?.model);
      steps.push({ provider: name, model: model ?? '', skip: model ? undefined : `no model with ${needs.join('+')} configured` });
    }
  }
  return steps;
}
