import { createGoogleGenerativeAI } from '@ai-sdk/google';
import type { ProviderConfig } from '../config';
import type { ProviderAdapter } from '../types';
import { createAiSdkAdapter } from './ai-sdk';

const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/** Gemini API (generateContent / streamGenerateContent?alt=sse, batchEmbedContents). The key goes in x-goog-api-key, never the URL. */
export function createGoogleAdapter(cfg: ProviderConfig, fetchFn: typeof fetch): ProviderAdapter {
  const baseURL = (cfg.baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const key = cfg.apiKey?.reveal() ?? '';
  const sdk = createGoogleGenerativeAI({ baseURL, apiKey: key, fetch: fetchFn, name: cfg.name });
  return createAiSdkAdapter({
    name: cfg.name,
    type: cfg.type,
    languageModel: (m) => sdk.chat(m),
    embeddingModel: (m) => sdk.embedding(m),
    modelList: {
      url: `${baseURL}/models?pageSize=1000`,
      headers: { 'x-goog-api-key': key },
      ids: (b) => (b?.models ?? []).map((m: any) => (typeof m?.name === 'string' ? m.name.replace(/^models\//, '') : undefined)),
    },
    fetch: fetchFn,
    secrets: cfg.apiKey ? [cfg.apiKey] : [],
  });
}
