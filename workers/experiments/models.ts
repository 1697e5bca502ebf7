import type { Llm } from '../../llm';
import { ProviderError } from '../../llm';

/** "auto": the cheapest healthy chat model by configured prices (as for compare runs), chosen per call. */
export async function resolveModel(llm: Llm, requested: string): Promise<string> {
  if (requested !== 'auto') return requested;
  const picked = await llm.selectModel({ capability: 'chat', prefer: 'cheapest' });
  if (!picked) throw new ProviderError('no healthy chat model is configured for "auto"', { kind: 'capability' });
  return picked.id;
}
