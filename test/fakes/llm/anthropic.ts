/**
 * TEST AND DEMO AID. A fake Anthropic Messages server: JSON and SSE
 * (message_start / content_block_* / message_delta / message_stop with usage,
 * `event: error` mid-stream) and the model list. Anthropic has no embeddings.
 */
import { startFakeServer, type FakeLlmServer, type FakeProtocol } from './fake-server';

const event = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error',
};

const stopReason = (r: 'stop' | 'length') => (r === 'length' ? 'max_tokens' : 'end_turn');

export function anthropicProtocol(): FakeProtocol {
  return {
    name: 'anthropic',
    basePath: '/v1',
    classify(method, url, body) {
      if (method === 'GET' && url.pathname === '/v1/models') return { op: 'models', stream: false };
      if (method === 'POST' && url.pathname === '/v1/messages') return { op: 'chat', stream: body?.stream === true, model: body?.model };
      return undefined;
    },
    errorBody: (status, message) => ({ type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message } }),
    chatJson: (a) => ({
      id: 'msg_fake', type: 'message', role: 'assistant', model: a.model,
      content: [{ type: 'text', text: a.text }], stop_reason: stopReason(a.finishReason), stop_sequence: null,
      usage: { input_tokens: a.usage.input, output_tokens: a.usage.output },
    }),
    streamContentType: 'text/event-stream',
    streamStart: (a) => [
      event('message_start', { type: 'message_start', message: { id: 'msg_fake', type: 'message', role: 'assistant', model: a.model,
        content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: a.usage.input, output_tokens: 1 } } }),
      event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      event('ping', { type: 'ping' }),
    ],
    streamDelta: (_a, text) => [event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })],
    streamEnd: (a) => [
      event('content_block_stop', { type: 'content_block_stop', index: 0 }),
      event('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason(a.finishReason), stop_sequence: null }, usage: { output_tokens: a.usage.output } }),
      event('message_stop', { type: 'message_stop' }),
    ],
    streamError: (_a, message) => [event('error', { type: 'error', error: { type: 'overloaded_error', message } })],
    embedInputs: () => [],
    embedJson: () => ({}),
    modelsJson: (models) => ({
      data: models.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' })),
      has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null,
    }),
  };
}

export function startFakeAnthropic(models = ['claude-3-5-haiku-latest']): Promise<FakeLlmServer> {
  return startFakeServer(anthropicProtocol(), models);
}
