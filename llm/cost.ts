import type { Price } from './config';

/** USD for the tokens used, when a price is configured; rounded to a nano-dollar to hide float noise. */
export function costUsd(price: Price | undefined, usage: { inputTokens: number; outputTokens?: number }): number | undefined {
  if (!price) return undefined;
  const usd = (usage.inputTokens * price.inputPerMTok + (usage.outputTokens ?? 0) * price.outputPerMTok) / 1_000_000;
  return Math.round(usd * 1e9) / 1e9;
}
