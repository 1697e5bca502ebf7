import type { ProviderConfig } from '../config';
import type { ProviderAdapter } from '../types';
import { createAnthropicAdapter } from './anthropic';
import { createGoogleAdapter } from './google';
import { createOllamaAdapter } from './ollama';
import { createOpenAIAdapter } from './openai';
import { createOpenAICompatibleAdapter } from './openai-compatible';

/** The adapter for one configured provider. `fetchFn` is the HTTP client every request goes through. */
export function createAdapter(cfg: ProviderConfig, fetchFn: typeof fetch): ProviderAdapter {
  switch (cfg.type) {
    case 'openai':
      return createOpenAIAdapter(cfg, fetchFn);
    case 'openai-compatible':
      return createOpenAICompatibleAdapter(cfg, fetchFn);
    case 'anthropic':
      return createAnthropicAdapter(cfg, fetchFn);
    case 'google':
      return createGoogleAdapter(cfg, fetchFn);
    case 'ollama':
      return createOllamaAdapter(cfg, fetchFn);
  }
}
