import { inspect } from 'node:util';

/**
 * An API key held in memory. It prints, serialises and logs as `[redacted]`, so
 * a config object that ends up in a log line or an error detail cannot leak it;
 * only the provider adapter calls `reveal()`, right where the client is built.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}

/**
 * Replaces every occurrence of the given secrets in a text. Defence in depth for
 * messages that come from outside (a provider's error body could echo a header).
 */
export function scrub(text: string, secrets: readonly Secret[]): string {
  let out = text;
  for (const s of secrets) {
    const v = s.reveal();
    // Very short values would mangle ordinary text and are not real keys.
    if (v.length >= 8) out = out.split(v).join('[redacted]');
  }
  return out;
}
