/**
 * TEST AND DEMO AID. A fake Gemini API: generateContent, streamGenerateContent
 * (`?alt=sse`, usageMetadata on the chunks), embedContent / batchEmbedContents
 * and the model list, with Google's `{error: {code, message, status}}` shape.
 */
import { startFakeServer, type ChatArgs, type FakeLlmServer, type FakeProtocol } from './fake-server';

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\r\n\r\n`;

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

const usage = (a: ChatArgs, output = a.usage.output) => ({
  promptTokenCount: a.usage.input, candidatesTokenCount: output, totalTokenCount: a.usage.input + output,
});

const finish = (r: 'stop' | 'length') => (r === 'length' ? 'MAX_TOKENS' : 'STOP');

export function googleProtocol(): FakeProtocol {
  return {
    name: 'google',
    basePath: '/v1beta',
    classify(method, url) {
      if (method === 'GET' && url.pathname === '/v1beta/models') return { op: 'models', stream: false };
      const m = /^\/v1beta\/models\/(.+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)$/.exec(url.pathname);
      if (method !== 'POST' || !m) return undefined;
      const model = decodeURIComponent(m[1]!);
      if (m[2] === 'embedContent' || m[2] === 'batchEmbedContents') return { op: 'embed', stream: false, model };
      return { op: 'chat', stream: m[2] === 'streamGenerateContent', model };
    },
    errorBody: (status, message) => ({ error: { code: status, message, status: STATUS[status] ?? 'UNKNOWN' } }),
    chatJson: (a) => ({
      candidates: [{ content: { parts: [{ text: a.text }], role: 'model' }, finishReason: finish(a.finishReason), index: 0 }],
      usageMetadata: usage(a), modelVersion: a.model,
    }),
    streamContentType: 'text/event-stream',
    streamStart: () => [],
    streamDelta: (a, text, i) => [sse({ candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0 }], usageMetadata: usage(a, i + 1), modelVersion: a.model })],
    streamEnd: (a) => [sse({ candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: finish(a.finishReason), index: 0 }], usageMetadata: usage(a), modelVersion: a.model })],
    streamError: (_a, message) => [sse({ error: { code: 500, message, status: 'INTERNAL' } })],
    embedInputs(url, body) {
      if (url.pathname.endsWith(':batchEmbedContents')) return (body?.requests ?? []).map((r: any) => r?.content?.parts?.[0]?.text ?? '');
      return [body?.content?.parts?.[0]?.text ?? ''];
    },
    embedJson(_model, vectors, _usage, url) {
      if (url.pathname.endsWith(':batchEmbedContents')) return { embeddings: vectors.map((values) => ({ values })) };
      return { embedding: { values: vectors[0] ?? [] } };
    },
    modelsJson: (models) => ({
      models: models.map((id) => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: id.includes('embed') ? ['embedContent'] : ['generateContent'] })),
    }),
  };
}

export function startFakeGoogle(models = ['gemini-2.0-flash', 'text-embedding-004']): Promise<FakeLlmServer> {
  return startFakeServer(googleProtocol(), models);
}
