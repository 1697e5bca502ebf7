import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from './logger';

/**
 * Requests from any API node to the one worker holding a session, over Redis
 * pub/sub: the holder listens on its own channel, each API process on one
 * reply channel, and a correlation id pairs them. PUBLISH says how many
 * listeners got the message, so a holder that is gone is known at once (0),
 * not after a timeout. Nothing here is durable, and needn't be: a session run
 * is a run document first (the reconciler ends it if its holder vanished), and
 * file operations are answered while the client waits.
 */

export type SessionOp =
  | { op: 'run'; runId: string }
  | { op: 'put'; path: string; base64: string }
  | { op: 'get'; path: string; maxBytes: number }
  | { op: 'delete'; path: string }
  | { op: 'list' }
  | { op: 'close' };

export type SessionRequest = SessionOp & { session: string };

/** A refusal the API passes on: `status` is the HTTP status it maps to. */
export interface SessionRpcError {
  status: number;
  code: string;
  message: string;
}

export type SessionReply = { ok: true; value?: unknown } | { ok: false; error: SessionRpcError };

interface Envelope {
  id: string;
  reply: string;
  req: SessionRequest;
}

export const holderChannel = (prefix: string, holder: string) => `${prefix}:session-rpc:${holder}`;

/** The holder was not listening (PUBLISH reached nobody): it stopped or died. */
export class HolderGoneError extends Error {
  constructor(readonly holder: string) {
    super(`worker ${holder} is not listening`);
    this.name = 'HolderGoneError';
  }
}

/** No answer in time from a holder that is listening. */
export class HolderTimeoutError extends Error {
  constructor(readonly holder: string, ms: number) {
    super(`worker ${holder} did not answer within ${ms} ms`);
    this.name = 'HolderTimeoutError';
  }
}

/** The API side: one subscriber connection per process. */
export class SessionRpcClient {
  private readonly pending = new Map<string, (r: SessionReply) => void>();
  private readonly replyChannel: string;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly prefix: string,
  ) {
    this.replyChannel = `${prefix}:session-reply:${randomUUID()}`;
  }

  static async open(pub: Redis, sub: Redis, prefix: string): Promise<SessionRpcClient> {
    const client = new SessionRpcClient(pub, sub, prefix);
    sub.on('message', (_channel: string, message: string) => client.onReply(message));
    await sub.subscribe(client.replyChannel);
    return client;
  }

  async call(holder: string, req: SessionRequest, timeoutMs: number): Promise<SessionReply> {
    const id = randomUUID();
    const answered = new Promise<SessionReply>((resolve) => this.pending.set(id, resolve));
    let timer: NodeJS.Timeout | undefined;
    try {
      const envelope: Envelope = { id, reply: this.replyChannel, req };
      const listeners = await this.pub.publish(holderChannel(this.prefix, holder), JSON.stringify(envelope));
      if (listeners === 0) throw new HolderGoneError(holder);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HolderTimeoutError(holder, timeoutMs)), timeoutMs);
      });
      return await Promise.race([answered, timeout]);
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
    }
  }

  async close(): Promise<void> {
    await this.sub.quit().catch(() => this.sub.disconnect());
  }

  private onReply(message: string): void {
    let parsed: { id?: unknown; reply?: SessionReply };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    if (typeof parsed.id === 'string' && parsed.reply) this.pending.get(parsed.id)?.(parsed.reply);
  }
}

/** The worker side: answers requests for the sessions this process holds. */
export class SessionRpcServer {
  private constructor(private readonly sub: Redis) {}

  static async listen(pub: Redis, sub: Redis, prefix: string, holder: string, handle: (req: SessionRequest) => Promise<SessionReply>, log: Logger): Promise<SessionRpcServer> {
    sub.on('message', (_channel: string, message: string) => {
      let envelope: Envelope;
      try {
        envelope = JSON.parse(message) as Envelope;
      } catch {
        log.warn('ignored a session request that is not JSON');
        return;
      }
      void handle(envelope.req)
        .catch((err: unknown): SessionReply => {
          log.error({ err, session: envelope.req.session, op: envelope.req.op }, 'session request failed');
          return { ok: false, error: { status: 503, code: 'unavailable', message: `the session's worker failed: ${(err as Error).message}` } };
        })
        .then((reply) => pub.publish(envelope.reply, JSON.stringify({ id: envelope.id, reply })))
        .catch((err: unknown) => log.warn({ err }, 'could not answer a session request'));
    });
    await sub.subscribe(holderChannel(prefix, holder));
    return new SessionRpcServer(sub);
  }

  async close(): Promise<void> {
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}
