/**
 * TEST AND DEMO AID. A fake OpenAI server: Chat Completions (JSON and SSE with
 * `data: [DONE]`, usage in a last chunk when `stream_options.include_usage`),
 * embeddings and the model list. Also serves as the OpenAI-compatible fake
 * (LlamaFarm, vLLM, LM Studio speak the same protocol) at another base URL.
 */
import { startFakeServer, type ChatArgs, type FakeLlmServer, type FakeProtocol } from './fake-server';

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

function chunk(a: ChatArgs, delta: Record<string, unknown>, finish: string | null) {
  return { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1700000000, model: a.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
}

const ERROR_TYPES: Record<number, [string, string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  404: ['invalid_request_error', 'model_not_found'],
  429: ['requests', 'rate_limit_exceeded'],
};

export function openaiProtocol(): FakeProtocol {
  return {
    name: 'openai',
    basePath: '/v1',
    classify(method, url, body) {
      const p = url.pathname;
      if (method === 'GET' && p === '/v1/models') return { op: 'models', stream: false };
      if (method === 'POST' && p === '/v1/chat/completions') return { op: 'chat', stream: body?.stream === true, model: body?.model };
      if (method === 'POST' && p === '/v1/embeddings') return { op: 'embed', stream: false, model: body?.model };
      return undefined;
    },
    errorBody(status, message) {
      const [type, code] = ERROR_TYPES[status] ?? ['server_error', null];
      return { error: { message, type, param: null, code } };
    },
    chatJson: (a) => ({
      id: 'chatcmpl-fake', object: 'chat.completion', created: 1700000000, model: a.model,
      choices: [{ index: 0, message: { role: 'assistant', content: a.text, refusal: null }, logprobs: null, finish_reason: a.finishReason }],
      usage: { prompt_tokens: a.usage.input, completion_tokens: a.usage.output, total_tokens: a.usage.input + a.usage.output },
    }),
    streamContentType: 'text/event-stream',
    streamStart: (a) => [sse(chunk(a, { role: 'assistant', content: '' }, null))],
    streamDelta: (a, text) => [sse(chunk(a, { content: text }, null))],
    streamEnd(a) {
      const frames = [sse(chunk(a, {}, a.finishReason))];
      if (a.request?.stream_options?.include_usage === true) {
        frames.push(sse({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1700000000, model: a.model, choices: [],
          usage: { prompt_tokens: a.usage.input, completion_tokens: a.usage.output, total_tokens: a.usage.input + a.usage.output } }));
      }
      return [...frames, 'data: [DONE]\n\n'];
    },
    streamError: (_a, message) => [sse({ error: { message, type: 'server_error', param: null, code: null } })],
    embedInputs: (_url, body) => (Array.isArray(body?.input) ? body.input : [String(body?.input ?? '')]),
    embedJson: (model, vectors, usage) => ({
      object: 'list', model,
      data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      usage: { prompt_tokens: usage.input, total_tokens: usage.input },
    }),
    modelsJson: (models) => ({ object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'fake' })) }),
  };
}

export function startFakeOpenAI(models = ['gpt-4o-mini', 'text-embedding-3-small']): Promise<FakeLlmServer> {
  return startFakeServer(openaiProtocol(), models);
}
