import type { Config } from '../config';
import { UnavailableError, ValidationError } from '../errors';
import type { Secret } from '../../llm';
import type { OllamaServerRef } from './pull';

/** An Ollama server Paddock may manage models on; the key (if any) stays in memory. */
export interface OllamaServer extends OllamaServerRef {
  apiKey?: Secret;
}

const DEFAULT_OLLAMA = 'http://127.0.0.1:11434';
/** The name OLLAMA_URL's server is known by in pull documents and `?server=`. */
export const DEFAULT_SERVER_NAME = 'default';

/**
 * Which Ollama server a request means:
 * - `server` given: an LLM provider of type `ollama` with that name (or "default" for OLLAMA_URL);
 * - otherwise OLLAMA_URL, else the first provider of type `ollama`.
 * An unknown name is a 400; no server at all is a 503.
 */
export function resolveOllamaServer(config: Pick<Config, 'OLLAMA_URL' | 'llm'>, server?: string): OllamaServer {
  if (server !== undefined && server !== DEFAULT_SERVER_NAME) {
    const provider = config.llm.providers.find((p) => p.name === server);
    if (!provider || provider.type !== 'ollama') {
      const names = config.llm.providers.filter((p) => p.type === 'ollama').map((p) => p.name);
      throw new ValidationError('unknown Ollama server', [
        { path: ['server'], message: `"${server}" is not an ollama provider (known: ${[...(config.OLLAMA_URL ? [DEFAULT_SERVER_NAME] : []), ...names].join(', ') || 'none'})` },
      ]);
    }
    return { name: provider.name, url: trimUrl(provider.baseURL ?? DEFAULT_OLLAMA), apiKey: provider.apiKey };
  }
  if (config.OLLAMA_URL) return { name: DEFAULT_SERVER_NAME, url: trimUrl(config.OLLAMA_URL) };
  if (server === DEFAULT_SERVER_NAME) throw new ValidationError('unknown Ollama server', [{ path: ['server'], message: 'OLLAMA_URL is not set' }]);
  const first = config.llm.providers.find((p) => p.type === 'ollama');
  if (!first) throw new UnavailableError('no Ollama server is configured (set OLLAMA_URL or add an ollama provider)');
  return { name: first.name, url: trimUrl(first.baseURL ?? DEFAULT_OLLAMA), apiKey: first.apiKey };
}

/** The server a stored pull refers to, with its key looked up again (keys are never stored). */
export function serverFromRef(config: Pick<Config, 'OLLAMA_URL' | 'llm'>, ref: OllamaServerRef): OllamaServer {
  const provider = config.llm.providers.find((p) => p.name === ref.name && p.type === 'ollama');
  return { ...ref, apiKey: provider?.apiKey };
}

function trimUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
