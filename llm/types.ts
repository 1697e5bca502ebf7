import type { Capability, Price, ProviderType } from './config';

/**
 * The one LLM interface Paddock code uses, and the narrower per-provider adapter
 * the router drives. Models are addressed as `provider/model`; the model part may
 * itself contain `/` or `:` (split on the first `/`).
 */

export type { Capability, ProviderType };

export type ContentPart =
  | { type: 'text'; text: string }
  /** `image`: a data URL, base64 text, raw bytes, or an http(s) URL (providers that cannot fetch URLs get it downloaded by the AI SDK; Ollama needs bytes or base64). */
  | { type: 'image'; image: string | Uint8Array | URL; mediaType?: string };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other';

export interface ChatRequest {
  /** `provider/model`, or just `provider` (its first chat model). Unset: the first provider of the fallback order that fits. */
  model?: string;
  messages: ChatMessage[];
  temperature?: number;
  maxOutputTokens?: number;
  /** Aborting rejects the call promptly with an AbortError and cancels the HTTP request. */
  signal?: AbortSignal;
  /** Given: the call streams and each text piece is passed here, in order. */
  onDelta?: (text: string) => void;
  /** false: only the requested provider is tried. Default true. */
  fallback?: boolean;
}

export interface GenerateRequest extends Omit<ChatRequest, 'messages'> {
  prompt: string;
  system?: string;
}

/** One provider tried during a call, in order: what the run document can record. */
export interface Attempt {
  provider: string;
  model: string;
  outcome: 'ok' | 'failed' | 'skipped';
  /** Why it failed or was skipped (never contains a key). */
  reason?: string;
  /** HTTP requests made to this provider for this call. */
  requests: number;
}

export interface ChatResult {
  text: string;
  usage: Usage;
  /** Present when the model has a configured price. */
  costUsd?: number;
  /** `provider/model` that actually answered. */
  model: string;
  latencyMs: number;
  finishReason: FinishReason;
  attempts: Attempt[];
}

export interface EmbedRequest {
  /** `provider/model` or `provider`; unset: the first provider of the fallback order with an embedding model. */
  model?: string;
  values: string[];
  signal?: AbortSignal;
  fallback?: boolean;
}

export interface EmbedResult {
  embeddings: number[][];
  usage: { inputTokens: number };
  costUsd?: number;
  model: string;
  latencyMs: number;
  attempts: Attempt[];
}

export interface HealthResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface Integration {
  name: string;
  type: ProviderType;
  health: 'ok' | 'down';
  latencyMs: number;
  error?: string;
  /** Models the provider reports (configured models when it could not be asked). */
  modelCount: number;
  circuit: CircuitState;
}

export type TestIntegrationResult =
  | { success: true; response: string; latency_ms: number; model_used: string }
  | { success: false; error: string; latency_ms: number };

export interface AvailableModel {
  id: string;
  provider: string;
  capabilities: Capability[];
  prices?: Price;
}

export interface ModelPolicy {
  capability: Capability;
  /** cheapest: by configured prices (input + output per MTok); unpriced models come last. first: configuration order. */
  prefer?: 'cheapest' | 'first';
  /** Only these providers. */
  providers?: string[];
}

/** What workers and the API hold. */
export interface Llm {
  chat(req: ChatRequest): Promise<ChatResult>;
  generate(req: GenerateRequest): Promise<ChatResult>;
  embed(req: EmbedRequest): Promise<EmbedResult>;
  /** Live health check of every provider (in parallel), with circuit states. */
  integrations(opts?: { signal?: AbortSignal }): Promise<Integration[]>;
  /** One short chat through the named provider only (no fallback); never throws for provider failures. */
  testIntegration(name: string, opts?: { prompt?: string; model?: string; signal?: AbortSignal }): Promise<TestIntegrationResult>;
  /** Configured models across providers (no network). */
  availableModels(): AvailableModel[];
  /** The model a declared policy picks among providers whose circuit is not open, or undefined. */
  selectModel(policy: ModelPolicy): Promise<AvailableModel | undefined>;
  /** Aborts calls in flight and stops lease renewals. Idempotent. Does not quit the Redis client it was given. */
  close(): Promise<void>;
}

// ---- the adapter level: one per provider type, no retries, no fallback ----

export interface AdapterChatRequest {
  /** The bare model id (no provider prefix). */
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxOutputTokens?: number;
  signal: AbortSignal;
  onDelta?: (text: string) => void;
}

export interface AdapterChatResult {
  text: string;
  usage: Usage;
  finishReason: FinishReason;
}

export interface AdapterEmbedResult {
  embeddings: number[][];
  usage: { inputTokens: number };
}

/**
 * One configured provider. Every method throws ProviderError (or an abort error
 * when the signal fired); foreign errors are converted inside the adapter.
 */
export interface ProviderAdapter {
  readonly name: string;
  readonly type: ProviderType;
  chat(req: AdapterChatRequest): Promise<AdapterChatResult>;
  embed(req: { model: string; values: string[]; signal: AbortSignal }): Promise<AdapterEmbedResult>;
  /** Models the server reports. */
  listModels(signal: AbortSignal): Promise<string[]>;
  health(signal: AbortSignal): Promise<HealthResult & { modelCount?: number }>;
}
