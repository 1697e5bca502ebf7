import { createAnthropic } from '@ai-sdk/anthropic';
import type { ProviderConfig } from '../config';
import type { ProviderAdapter } from '../types';
import { createAiSdkAdapter } from './ai-sdk';

const DEFAULT_BASE_URL = 'https://api.anthropic.com/v1';

/** Anthropic Messages API. No embeddings: embed() throws a capability error. */
export function createAnthropicAdapter(cfg: ProviderConfig, fetchFn: typeof fetch): ProviderAdapter {
  const baseURL = (cfg.baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const key = cfg.apiKey?.reveal() ?? '';
  const sdk = createAnthropic({ baseURL, apiKey: key, fetch: fetchFn, name: cfg.name });
  return createAiSdkAdapter({
    name: cfg.name,
    type: cfg.type,
    languageModel: (m) => sdk.messages(m),
    defaultMaxOutputTokens: 4096,
    modelList: {
      url: `${baseURL}/models?limit=1000`,
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
      ids: (b) => (b?.data ?? []).map((m: any) => m?.id),
    },
    fetch: fetchFn,
    secrets: cfg.apiKey ? [cfg.apiKey] : [],
  });
}
