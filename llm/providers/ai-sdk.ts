import type { EmbeddingModelV3, LanguageModelV3 } from '@ai-sdk/provider';
import { embedMany, generateText, streamText, type FinishReason as SdkFinishReason } from 'ai';
import { toProviderError } from '../classify';
import { LlmAbortError, ProviderError } from '../errors';
import type { Secret } from '../secret';
import type { AdapterChatRequest, AdapterChatResult, FinishReason, ProviderAdapter, ProviderType } from '../types';
import { listModelsOverHttp, type ModelListRequest } from './http';
import { toModelMessages } from './messages';

/**
 * One adapter for every provider type the AI SDK covers. Each type's file only
 * says how to build its language/embedding models and where its model list is.
 * The SDK's own retries are off (maxRetries: 0): the router's are the only ones.
 */
export interface AiSdkBinding {
  name: string;
  type: ProviderType;
  languageModel(model: string): LanguageModelV3;
  /** Undefined: this type has no embeddings API. */
  embeddingModel?: (model: string) => EmbeddingModelV3;
  modelList: ModelListRequest;
  /** Used when the caller sets no maxOutputTokens (Anthropic requires one and warns when the SDK guesses). */
  defaultMaxOutputTokens?: number;
  fetch: typeof fetch;
  secrets: readonly Secret[];
}

export function createAiSdkAdapter(b: AiSdkBinding): ProviderAdapter {
  const fail = (err: unknown, model: string | undefined, signal: AbortSignal) => {
    // An aborted signal explains any error the SDK raises while tearing down.
    if (signal.aborted) return new LlmAbortError(signal.reason);
    return toProviderError(err, { provider: b.name, model, secrets: b.secrets });
  };

  return {
    name: b.name,
    type: b.type,

    async chat(req) {
      try {
        const r = { ...req, maxOutputTokens: req.maxOutputTokens ?? b.defaultMaxOutputTokens };
        return r.onDelta ? await streamChat(b.languageModel(r.model), r) : await generateChat(b.languageModel(r.model), r);
      } catch (err) {
        throw fail(err, req.model, req.signal);
      }
    },

    async embed({ model, values, signal }) {
      if (!b.embeddingModel) {
        throw new ProviderError(`${b.name}: ${b.type} has no embeddings API`, { kind: 'capability', provider: b.name, model });
      }
      try {
        const res = await embedMany({ model: b.embeddingModel(model), values, abortSignal: signal, maxRetries: 0 });
        // Gemini reports no token usage for embeddings (the SDK gives NaN): count 0.
        const tokens = Number(res.usage?.tokens);
        return { embeddings: res.embeddings, usage: { inputTokens: Number.isFinite(tokens) ? tokens : 0 } };
      } catch (err) {
        throw fail(err, model, signal);
      }
    },

    listModels(signal) {
      return listModelsOverHttp(b.name, b.modelList, b.fetch, signal, b.secrets);
    },

    async health(signal) {
      const started = Date.now();
      try {
        const models = await listModelsOverHttp(b.name, b.modelList, b.fetch, signal, b.secrets);
        return { ok: true, latencyMs: Date.now() - started, modelCount: models.length };
      } catch (err) {
        const e = fail(err, undefined, signal);
        return { ok: false, latencyMs: Date.now() - started, error: e.message };
      }
    },
  };
}

/** What a chat call sends, streamed or not; our retries are the only ones (maxRetries 0). */
function callOptions(model: LanguageModelV3, req: AdapterChatRequest) {
  return {
    model,
    messages: toModelMessages(req.messages),
    // Roles are set by Paddock code, not by end users, so system turns in the history are intended.
    allowSystemInMessages: true,
    temperature: req.temperature,
    maxOutputTokens: req.maxOutputTokens,
    abortSignal: req.signal,
    maxRetries: 0,
  };
}

async function generateChat(model: LanguageModelV3, req: AdapterChatRequest): Promise<AdapterChatResult> {
  const res = await generateText(callOptions(model, req));
  return {
    text: res.text,
    usage: { inputTokens: res.usage.inputTokens ?? 0, outputTokens: res.usage.outputTokens ?? 0 },
    finishReason: finishReason(res.finishReason),
  };
}

async function streamChat(model: LanguageModelV3, req: AdapterChatRequest): Promise<AdapterChatResult> {
  const result = streamText({
    ...callOptions(model, req),
    // Errors arrive as 'error' parts below; the default handler would print them to the console.
    onError: () => undefined,
  });
  let text = '';
  let usage = { inputTokens: 0, outputTokens: 0 };
  let reason: FinishReason = 'other';
  for await (const part of result.fullStream) {
    if (part.type === 'text-delta') {
      text += part.text;
      req.onDelta?.(part.text);
    } else if (part.type === 'error') {
      throw part.error;
    } else if (part.type === 'abort') {
      throw new LlmAbortError(req.signal.reason);
    } else if (part.type === 'finish') {
      usage = { inputTokens: part.totalUsage.inputTokens ?? 0, outputTokens: part.totalUsage.outputTokens ?? 0 };
      reason = finishReason(part.finishReason);
    }
  }
  return { text, usage, finishReason: reason };
}

function finishReason(r: SdkFinishReason | string | undefined): FinishReason {
  const known: FinishReason[] = ['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other'];
  return known.includes(r as FinishReason) ? (r as FinishReason) : 'other';
}
