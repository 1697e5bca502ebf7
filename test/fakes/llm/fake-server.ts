/**
 * TEST AND DEMO AID — not a provider. The shared machinery of the fake LLM
 * servers: an HTTP server on 127.0.0.1 (port 0), a per-test queue of scripted
 * replies, and a record of every request it got. Each wire protocol
 * (openai.ts, anthropic.ts, google.ts, ollama.ts) only says how its bytes look.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the next request gets. Unscripted requests get a default text reply.
 * `gate` (text replies): the answer starts only once this promise settles, so a
 * test decides exactly when a request finishes.
 */
export type FakeReply =
  /** A normal answer; streamed in `chunks` pieces `delayMs` apart when the client asked for a stream. */
  | { type: 'text'; text?: string; chunks?: number; delayMs?: number; usage?: FakeUsage; finishReason?: 'stop' | 'length'; gate?: Promise<unknown> }
  /** An HTTP error in the provider's real error shape; `retryAfter` becomes the Retry-After header verbatim. */
  | { type: 'error'; status: number; message?: string; retryAfter?: string }
  /** Streams `afterChunks` pieces of `text`, then the provider's in-stream error (a 500 for non-streaming calls). */
  | { type: 'stream-error'; text?: string; afterChunks?: number; message?: string }
  /** Sends headers (and `afterChunks` pieces when streaming), then nothing until the client goes away. */
  | { type: 'hang'; text?: string; afterChunks?: number }
  /** Destroys the connection without a response: a network error. */
  | { type: 'drop' }
  /** Embedding vectors; by default deterministic ones derived from each input. */
  | { type: 'embedding'; vectors?: number[][]; usage?: FakeUsage };

export interface FakeUsage {
  input: number;
  output: number;
}

export interface FakeRequest {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions` or `/v1beta/models/m:streamGenerateContent?alt=sse`. */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (undefined for GET). */
  body: any;
  op: FakeOp;
  stream: boolean;
  model?: string;
  /** Date.now() when the request arrived: retry delays are asserted on these. */
  at: number;
  /** Resolves when the connection to this request is closed (by either side). */
  closed: Promise<void>;
  /** Date.now() when the connection closed. */
  closedAt?: number;
  /** True once the client went away before the response was complete. */
  aborted: boolean;
}

export type FakeOp = 'chat' | 'embed' | 'models' | 'version' | 'pull' | 'delete';

export interface ChatArgs {
  model: string;
  /** The parsed request body, for protocol details such as OpenAI's stream_options. */
  request: any;
  text: string;
  usage: FakeUsage;
  finishReason: 'stop' | 'length';
}

/** How one provider's wire protocol looks. Frames are written verbatim. */
export interface FakeProtocol {
  name: string;
  /** Prefix the SDKs expect in their baseURL, e.g. `/v1`. */
  basePath: string;
  classify(method: string, url: URL, body: any): { op: FakeOp; stream: boolean; model?: string } | undefined;
  errorBody(status: number, message: string): unknown;
  chatJson(a: ChatArgs): unknown;
  streamContentType: string;
  streamStart(a: ChatArgs): string[];
  streamDelta(a: ChatArgs, text: string, index: number): string[];
  streamEnd(a: ChatArgs): string[];
  streamError(a: ChatArgs, message: string): string[];
  embedInputs(url: URL, body: any): string[];
  embedJson(model: string, vectors: number[][], usage: FakeUsage, url: URL): unknown;
  modelsJson(models: string[]): unknown;
  versionJson?(): unknown;
  /** Routes the protocol answers itself (e.g. Ollama's /api/pull and /api/delete); true when it took the request. */
  handle?(req: { method: string; url: URL; body: any }, res: http.ServerResponse, record: FakeRequest): boolean;
}

export interface FakeLlmServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** What to put in the provider's `baseURL` (the origin plus the SDK's base path). */
  baseURL: string;
  /** Queues replies for the next requests, in order. */
  script(...replies: FakeReply[]): void;
  /** Every request received since start or the last reset, in arrival order. */
  requests: FakeRequest[];
  /** Resolves once at least `n` requests have arrived. */
  waitForRequests(n: number): Promise<FakeRequest[]>;
  /** Models listed by the models endpoint. */
  models: string[];
  /**
   * Answers chat requests nothing was scripted for (the demo sets it: test/fakes/llm/demo.ts);
   * undefined from it, or no responder, means the default reply.
   */
  responder?: (request: { model: string; body: any }) => FakeReply | undefined;
  /** Clears the queue and the request record (between tests). */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_TEXT = 'Hello from the fake provider.';

export async function startFakeServer(protocol: FakeProtocol, models: string[]): Promise<FakeLlmServer> {
  const queue: FakeReply[] = [];
  const requests: FakeRequest[] = [];
  let waiters: { n: number; resolve: (r: FakeRequest[]) => void }[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      void handle(req, res, body);
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: any): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const kind = protocol.classify(req.method ?? 'GET', url, body);
    let onClosed!: () => void;
    const record: FakeRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: { ...req.headers },
      body,
      op: kind?.op ?? 'chat',
      stream: kind?.stream ?? false,
      model: kind?.model,
      at: Date.now(),
      closed: new Promise<void>((resolve) => (onClosed = resolve)),
      aborted: false,
    };
    res.on('close', () => {
      record.closedAt = Date.now();
      if (!res.writableFinished) record.aborted = true;
      onClosed();
    });
    requests.push(record);
    waiters = waiters.filter((w) => (requests.length >= w.n ? (w.resolve([...requests]), false) : true));

    if (!kind) return sendJson(res, 404, protocol.errorBody(404, `no route for ${req.method} ${url.pathname}`));
    if (protocol.handle?.({ method: record.method, url, body }, res, record)) return;
    if (kind.op === 'models') return sendJson(res, 200, protocol.modelsJson(fake.models));
    if (kind.op === 'version') return sendJson(res, 200, protocol.versionJson?.() ?? {});

    const model = kind.model ?? 'unknown';
    const reply = queue.shift()
      ?? (kind.op === 'chat' ? fake.responder?.({ model, body }) : undefined)
      ?? (kind.op === 'embed' ? { type: 'embedding' as const } : { type: 'text' as const });
    await respond(res, record, kind.op, model, url, body, reply);
  }

  async function respond(
    res: http.ServerResponse, record: FakeRequest, op: FakeOp, model: string, url: URL, body: any, reply: FakeReply,
  ): Promise<void> {
    if (reply.type === 'drop') {
      res.socket?.destroy();
      return;
    }
    if (reply.type === 'error') {
      const headers: Record<string, string> = reply.retryAfter !== undefined ? { 'retry-after': reply.retryAfter } : {};
      return sendJson(res, reply.status, protocol.errorBody(reply.status, reply.message ?? defaultMessage(reply.status)), headers);
    }
    if (op === 'embed') {
      if (reply.type === 'hang') return hang(res);
      const inputs = protocol.embedInputs(url, body);
      const vectors = reply.type === 'embedding' && reply.vectors ? reply.vectors : inputs.map((t) => fakeEmbedding(t));
      const usage = reply.type === 'embedding' && reply.usage ? reply.usage : { input: inputs.length * 3, output: 0 };
      return sendJson(res, 200, protocol.embedJson(model, vectors, usage, url));
    }
    if (reply.type === 'embedding') return sendJson(res, 400, protocol.errorBody(400, 'scripted an embedding for a chat request'));

    if (reply.type === 'text' && reply.gate) {
      await reply.gate.catch(() => undefined);
      if (res.destroyed) return;
    }
    const text = reply.text ?? DEFAULT_TEXT;
    const pieces = split(text, reply.type === 'text' ? (reply.chunks ?? 3) : Math.max(1, (reply.afterChunks ?? 1) + 1));
    const args: ChatArgs = {
      model,
      request: body,
      text,
      usage: reply.type === 'text' && reply.usage ? reply.usage : { input: 12, output: pieces.length },
      finishReason: reply.type === 'text' ? (reply.finishReason ?? 'stop') : 'stop',
    };

    if (!record.stream) {
      if (reply.type === 'hang') return hang(res);
      if (reply.type === 'stream-error') return sendJson(res, 500, protocol.errorBody(500, reply.message ?? 'internal error'));
      if (reply.delayMs) await sleepUnlessClosed(res, reply.delayMs);
      return sendJson(res, 200, protocol.chatJson(args));
    }

    res.writeHead(200, { 'content-type': protocol.streamContentType, 'cache-control': 'no-cache', connection: 'keep-alive' });
    write(res, protocol.streamStart(args));
    if (reply.type === 'text') {
      for (const [i, piece] of pieces.entries()) {
        if (reply.delayMs && !(await sleepUnlessClosed(res, reply.delayMs))) return;
        if (res.destroyed) return;
        write(res, protocol.streamDelta(args, piece, i));
      }
      write(res, protocol.streamEnd(args));
      res.end();
      return;
    }
    const before = pieces.slice(0, reply.afterChunks ?? 1);
    for (const [i, piece] of before.entries()) write(res, protocol.streamDelta(args, piece, i));
    if (reply.type === 'hang') return; // held open until the client (or close()) ends it
    write(res, protocol.streamError(args, reply.message ?? 'internal error during streaming'));
    res.end();
  }

  const fake: FakeLlmServer = {
    url: '',
    baseURL: '',
    script: (...replies) => void queue.push(...replies),
    requests,
    models: [...models],
    waitForRequests(n) {
      if (requests.length >= n) return Promise.resolve([...requests]);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.baseURL = `${fake.url}${protocol.basePath}`;
  return fake;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function write(res: http.ServerResponse, frames: string[]): void {
  if (!res.destroyed) for (const f of frames) res.write(f);
}

function hang(res: http.ServerResponse): void {
  // Headers only: the body never comes, so the client waits until it gives up.
  res.writeHead(200, { 'content-type': 'application/json' });
  res.flushHeaders();
}

/** Resolves true after `ms`, or false as soon as the client went away. */
export function sleepUnlessClosed(res: http.ServerResponse, ms: number): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', onClose);
  });
}

/** Splits text into n nearly equal, non-empty pieces (fewer if the text is short). */
export function split(text: string, n: number): string[] {
  const count = Math.max(1, Math.min(n, text.length));
  const size = Math.ceil(text.length / count);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [''];
}

/** Deterministic 8-dimensional vector for a text, so tests can compare embeddings. */
export function fakeEmbedding(text: string, dims = 8): number[] {
  const v = new Array<number>(dims).fill(0);
  for (let i = 0; i < text.length; i++) v[i % dims]! += text.charCodeAt(i) / 1000;
  return v.map((x) => Math.round(x * 1e6) / 1e6);
}

function defaultMessage(status: number): string {
  if (status === 429) return 'Rate limit reached; please retry later.';
  if (status === 503) return 'The server is overloaded or not ready yet.';
  if (status >= 500) return 'The server had an error while processing your request.';
  return `request failed with status ${status}`;
}
