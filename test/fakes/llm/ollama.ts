/**
 * TEST AND DEMO AID. A fake Ollama server speaking the native API: /api/chat
 * (NDJSON stream by default, a `done: true` line with prompt_eval_count and
 * eval_count), /api/embed, /api/tags and /api/version; errors are `{error}`.
 * Model management (/api/pull, /api/delete) is in ollama-pull.ts: `fake.pulls`.
 */
import { startFakeServer, type ChatArgs, type FakeLlmServer, type FakeProtocol } from './fake-server';
import { FakePulls } from './ollama-pull';

export interface FakeOllamaServer extends FakeLlmServer {
  /** Scripts and records /api/pull; a successful pull adds the model to `models` (/api/tags). */
  pulls: FakePulls;
}

const line = (data: unknown) => `${JSON.stringify(data)}\n`;
const CREATED = '2025-01-01T00:00:00.000Z';

function done(a: ChatArgs, content: string) {
  return {
    model: a.model, created_at: CREATED, message: { role: 'assistant', content }, done: true,
    done_reason: a.finishReason, total_duration: 1_000_000, load_duration: 1000,
    prompt_eval_count: a.usage.input, prompt_eval_duration: 1000, eval_count: a.usage.output, eval_duration: 1000,
  };
}

export function ollamaProtocol(): FakeProtocol {
  return {
    name: 'ollama',
    basePath: '',
    classify(method, url, body) {
      const p = url.pathname;
      if (method === 'GET' && p === '/api/tags') return { op: 'models', stream: false };
      if (method === 'GET' && p === '/api/version') return { op: 'version', stream: false };
      // Ollama streams unless told not to.
      if (method === 'POST' && p === '/api/chat') return { op: 'chat', stream: body?.stream !== false, model: body?.model };
      if (method === 'POST' && p === '/api/embed') return { op: 'embed', stream: false, model: body?.model };
      if (method === 'POST' && p === '/api/pull') return { op: 'pull', stream: body?.stream !== false, model: body?.model ?? body?.name };
      if (method === 'DELETE' && p === '/api/delete') return { op: 'delete', stream: false, model: body?.model ?? body?.name };
      return undefined;
    },
    errorBody: (_status, message) => ({ error: message }),
    chatJson: (a) => done(a, a.text),
    streamContentType: 'application/x-ndjson',
    streamStart: () => [],
    streamDelta: (a, text) => [line({ model: a.model, created_at: CREATED, message: { role: 'assistant', content: text }, done: false })],
    streamEnd: (a) => [line(done(a, ''))],
    streamError: (_a, message) => [line({ error: message })],
    embedInputs: (_url, body) => (Array.isArray(body?.input) ? body.input : [String(body?.input ?? '')]),
    embedJson: (model, vectors, usage) => ({ model, embeddings: vectors, total_duration: 1000, load_duration: 10, prompt_eval_count: usage.input }),
    modelsJson: (models) => ({
      models: models.map((name) => ({
        name, model: name, modified_at: CREATED, size: 1_000_000, digest: 'sha256:fake',
        details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '1B', quantization_level: 'Q4_0' },
      })),
    }),
    versionJson: () => ({ version: '0.6.0-fake' }),
  };
}

export async function startFakeOllama(models = ['llama3.2:1b', 'nomic-embed-text']): Promise<FakeOllamaServer> {
  let server: FakeLlmServer | undefined;
  const pulls = new FakePulls(() => server!.models);
  server = await startFakeServer({ ...ollamaProtocol(), handle: (req, res, record) => pulls.handle(req, res, record) }, models);
  const reset = server.reset;
  return Object.assign(server, {
    pulls,
    reset() {
      reset();
      pulls.reset();
    },
  });
}
