import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { ProviderConfig } from '../config';
import type { ProviderAdapter } from '../types';
import { createAiSdkAdapter } from './ai-sdk';

/** Any server speaking OpenAI's Chat Completions at `baseURL` (LlamaFarm, vLLM, LM Studio, Ollama's /v1). A key is optional. */
export function createOpenAICompatibleAdapter(cfg: ProviderConfig, fetchFn: typeof fetch): ProviderAdapter {
  const baseURL = cfg.baseURL!.replace(/\/+$/, '');
  const key = cfg.apiKey?.reveal();
  // includeUsage: ask for token usage on streams (stream_options.include_usage).
  const sdk = createOpenAICompatible({ name: cfg.name, baseURL, apiKey: key, fetch: fetchFn, includeUsage: true });
  return createAiSdkAdapter({
    name: cfg.name,
    type: cfg.type,
    languageModel: (m) => sdk.chatModel(m),
    embeddingModel: (m) => sdk.embeddingModel(m),
    modelList: {
      url: `${baseURL}/models`,
      headers: key ? { authorization: `Bearer ${key}` } : {},
      ids: (b) => (b?.data ?? []).map((m: any) => m?.id),
    },
    fetch: fetchFn,
    secrets: cfg.apiKey ? [cfg.apiKey] : [],
  });
}
