import { createOpenAI } from '@ai-sdk/openai';
import type { ProviderConfig } from '../config';
import type { ProviderAdapter } from '../types';
import { createAiSdkAdapter } from './ai-sdk';

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** OpenAI through the Chat Completions API (not Responses), which OpenAI-like servers also speak. */
export function createOpenAIAdapter(cfg: ProviderConfig, fetchFn: typeof fetch): ProviderAdapter {
  const baseURL = (cfg.baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const key = cfg.apiKey?.reveal() ?? '';
  const sdk = createOpenAI({ baseURL, apiKey: key, fetch: fetchFn, name: cfg.name });
  return createAiSdkAdapter({
    name: cfg.name,
    type: cfg.type,
    languageModel: (m) => sdk.chat(m),
    embeddingModel: (m) => sdk.embedding(m),
    modelList: { url: `${baseURL}/models`, headers: { authorization: `Bearer ${key}` }, ids: (b) => (b?.data ?? []).map((m: any) => m?.id) },
    fetch: fetchFn,
    secrets: cfg.apiKey ? [cfg.apiKey] : [],
  });
}
