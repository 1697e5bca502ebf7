/**
 * Intent routing for POST /v1/execute: a small, ordered, documented rule set that
 * maps a free-text intent to a capability. First match wins; the rule's name is
 * returned with the result so a caller can see why it was routed there.
 */
export type IntentCapability = 'code_run' | 'embeddings' | 'summarize' | 'generate' | 'chat';

export interface IntentRule {
  name: string;
  capability: IntentCapability;
  /** Matches the intent text (case-insensitive), or the presence of code in the request. */
  test: (intent: string, hasCode: boolean) => boolean;
}

export const INTENT_RULES: readonly IntentRule[] = [
  { name: 'code-given', capability: 'code_run', test: (_i, hasCode) => hasCode },
  { name: 'embed-words', capability: 'embeddings', test: (i) => /\b(embed|embeds|embedding|embeddings|vectori[sz]e|vectors?)\b/i.test(i) },
  { name: 'summarize-words', capability: 'summarize', test: (i) => /\b(summari[sz]e|summary|tl;?dr|condense)\b/i.test(i) },
  { name: 'generate-words', capability: 'generate', test: (i) => /\b(write|generate|draft|compose|create)\b/i.test(i) },
  { name: 'default', capability: 'chat', test: () => true },
];

export function routeIntent(intent: string, hasCode: boolean): IntentRule {
  return INTENT_RULES.find((r) => r.test(intent, hasCode))!;
}
