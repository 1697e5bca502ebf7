import type { Config } from '../core/config';
import { ValidationError } from '../core/errors';
import { literalRefusal } from '../core/webhooks/target';
import { parseModelRef, ProviderError } from '../llm';

/** Every model a request names must belong to a configured provider ("auto" is chosen at run time). */
export function checkModelRefs(config: Config, refs: { ref: string; path: (string | number)[] }[]): void {
  const bad = refs.flatMap(({ ref, path }) => {
    if (ref === 'auto') return [];
    try {
      parseModelRef(ref, config.llm);
      return [];
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      return [{ path, message: err.message }];
    }
  });
  if (bad.length > 0) throw new ValidationError('unknown model', bad);
}

/** A kind that asks a model cannot run without an LLM provider: a 400 at submission, not a failed job later. */
export function requireProvider(config: Config, path: (string | number)[]): void {
  if (config.llm.providers.length > 0) return;
  throw new ValidationError('no LLM provider is configured (LLM_PROVIDERS), so nothing can answer this', [
    { path, message: 'set LLM_PROVIDERS on the server to use this' },
  ]);
}

/** A callbackUrl whose literal host is internal is refused at submission (names resolve at delivery, checked then). */
export function checkCallbackUrl(config: Config, url: string | undefined): void {
  if (url === undefined) return;
  const refused = literalRefusal(url, config.webhooks.allow);
  if (refused) throw new ValidationError('callbackUrl is not allowed', [{ path: ['callbackUrl'], message: refused }]);
}
