// The browser build on purpose: the Node build's encodeImage() reads any image
// string that happens to be an existing file path from the worker's disk.
import { Ollama, type Message } from 'ollama/browser';
import { toProviderError } from '../classify';
import type { ProviderConfig } from '../config';
import { LlmAbortError, ProviderError } from '../errors';
import type { AdapterChatResult, ChatMessage, FinishReason, ProviderAdapter } from '../types';
import { textOf } from './messages';

const DEFAULT_HOST = 'http://127.0.0.1:11434';

/**
 * Ollama's native API through the official client: /api/chat (NDJSON stream),
 * /api/embed, /api/tags, /api/version. The client takes no AbortSignal, so each
 * call gets its own client whose fetch carries the call's signal; that fetch
 * also remembers the last response, whose Retry-After the client's errors drop.
 */
export function createOllamaAdapter(cfg: ProviderConfig, fetchFn: typeof fetch): ProviderAdapter {
  const host = (cfg.baseURL ?? DEFAULT_HOST).replace(/\/+$/, '');
  const secrets = cfg.apiKey ? [cfg.apiKey] : [];

  function client(signal: AbortSignal) {
    const seen: { response?: { status: number; headers: Headers } } = {};
    const ollama = new Ollama({
      host,
      // Ollama Cloud and authenticating proxies take a bearer token.
      headers: cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey.reveal()}` } : undefined,
      fetch: async (input, init) => {
        const res = await fetchFn(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
        seen.response = { status: res.status, headers: res.headers };
        return res;
      },
    });
    const fail = (err: unknown, model?: string) => {
      if (signal.aborted) return new LlmAbortError(signal.reason);
      return toProviderError(err, { provider: cfg.name, model, secrets, response: seen.response });
    };
    return { ollama, fail };
  }

  return {
    name: cfg.name,
    type: cfg.type,

    async chat(req) {
      const { ollama, fail } = client(req.signal);
      const request = {
        model: req.model,
        messages: toOllamaMessages(req.messages, cfg.name, req.model),
        options: { temperature: req.temperature, num_predict: req.maxOutputTokens },
      };
      try {
        if (!req.onDelta) {
          const res = await ollama.chat({ ...request, stream: false });
          return result(res.message?.content ?? '', res);
        }
        const stream = await ollama.chat({ ...request, stream: true });
        let text = '';
        for await (const part of stream) {
          const delta = part.message?.content ?? '';
          if (delta) {
            text += delta;
            req.onDelta(delta);
          }
          if (part.done) return result(text, part);
        }
        throw new ProviderError(`${cfg.name}: the stream ended without a done message`, { kind: 'server', provider: cfg.name, model: req.model });
      } catch (err) {
        throw fail(err, req.model);
      }
    },

    async embed({ model, values, signal }) {
      const { ollama, fail } = client(signal);
      try {
        const res = await ollama.embed({ model, input: values });
        return { embeddings: res.embeddings, usage: { inputTokens: res.prompt_eval_count ?? 0 } };
      } catch (err) {
        throw fail(err, model);
      }
    },

    async listModels(signal) {
      const { ollama, fail } = client(signal);
      try {
        return (await ollama.list()).models.map((m) => m.name);
      } catch (err) {
        throw fail(err);
      }
    },

    async health(signal) {
      const started = Date.now();
      const { ollama, fail } = client(signal);
      try {
        await ollama.version();
        const models = (await ollama.list()).models;
        return { ok: true, latencyMs: Date.now() - started, modelCount: models.length };
      } catch (err) {
        return { ok: false, latencyMs: Date.now() - started, error: fail(err).message };
      }
    },
  };
}

function result(text: string, res: { done_reason?: string; prompt_eval_count?: number; eval_count?: number }): AdapterChatResult {
  const reason: FinishReason = res.done_reason === 'length' ? 'length' : res.done_reason === 'stop' || !res.done_reason ? 'stop' : 'other';
  return { text, usage: { inputTokens: res.prompt_eval_count ?? 0, outputTokens: res.eval_count ?? 0 }, finishReason: reason };
}

/** Ollama wants text content plus base64 images per message; it cannot fetch URLs. */
function toOllamaMessages(messages: ChatMessage[], provider: string, model: string): Message[] {
  return messages.map((m) => {
    if (typeof m.content === 'string') return { role: m.role, content: m.content };
    const images = m.content.flatMap((p) => (p.type === 'image' ? [imageBase64(p.image, provider, model)] : []));
    return { role: m.role, content: textOf(m.content), ...(images.length ? { images } : {}) };
  });
}

function imageBase64(image: string | Uint8Array | URL, provider: string, model: string): string {
  if (image instanceof Uint8Array) return Buffer.from(image).toString('base64');
  const text = image.toString();
  const dataUrl = /^data:[^;,]*;base64,(.*)$/s.exec(text);
  if (dataUrl) return dataUrl[1]!;
  if (/^https?:\/\//i.test(text)) {
    throw new ProviderError(`${provider}: ollama needs image bytes or base64, not a URL`, { kind: 'client', provider, model });
  }
  return text;
}
