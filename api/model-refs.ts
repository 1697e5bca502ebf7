import type { Config } from '../core/config';
import { ValidationError } from '../core/errors';
import { parseModelRef, ProviderError } from '../core/llm';

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
