/**
 * Paddock's LLM layer. Build it once per process with createLlm() from the
 * parsed config and pass the resulting `Llm` down; see docs/llm-providers.md.
 */
export { createLlm, type CreateLlmOptions } from './router';
export {
  parseLlmConfig, llmProvidersSchema, providerSchema, priceSchema, llmBalanceSchema, capabilitiesOf, providerTypes, capabilities,
  balanceStrategies, BALANCE_PREFIX,
  type LlmConfig, type ProviderConfig, type ProviderSettings, type Price, type BalanceGroup, type BalanceTarget, type BalanceStrategy,
} from './config';
export { ProviderError, LlmAbortError, isAbortError, type ProviderErrorKind } from './errors';
export { Secret } from './secret';
export { parseModelRef } from './plan';
export type { LlmCallObserver, LlmCallReport } from './observe';
export type * from './types';
