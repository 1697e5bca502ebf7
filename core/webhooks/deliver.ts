import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Webhook } from 'standardwebhooks';
import { guardedLookup, refusal } from './target';

export interface DeliveryResult {
  outcome: 'delivered' | 'failed' | 'blocked';
  statusCode?: number;
  error?: string;
  durationMs: number;
}

export interface DeliverOptions {
  /** Standard Webhooks secret (`whsec_…`). */
  secret: string;
  allow: net.BlockList;
  timeoutMs: number;
}

/**
 * POSTs one message, signed as the Standard Webhooks specification says
 * (webhook-id, webhook-timestamp, webhook-signature: v1,base64(HMAC-SHA256)).
 * Redirects are not followed (a 3xx is a failure: it could point inside), and
 * only a 2xx counts as delivered. Never throws.
 */
export async function deliver(url: string, msgId: string, body: string, opts: DeliverOptions): Promise<DeliveryResult> {
  const started = Date.now();
  const done = (r: Omit<DeliveryResult, 'durationMs'>): DeliveryResult => ({ ...r, durationMs: Date.now() - started });
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  // A literal address skips the lookup, so it is judged here.
  const literal = net.isIP(host) ? refusal(host, opts.allow) : undefined;
  if (literal) return done({ outcome: 'blocked', error: literal });
  const timestamp = new Date();
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'paddock-webhooks',
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(opts.secret).sign(msgId, timestamp, body),
  };
  return new Promise((resolve) => {
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(target, { method: 'POST', headers, lookup: guardedLookup(opts.allow), timeout: opts.timeoutMs }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      res.on('end', () => resolve(done(code >= 200 && code < 300 ? { outcome: 'delivered', statusCode: code } : { outcome: 'failed', statusCode: code, error: `the receiver answered ${code}` })));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve(done(err.code === 'EBLOCKED' ? { outcome: 'blocked', error: err.message } : { outcome: 'failed', error: err.message })));
    req.end(body);
  });
}
