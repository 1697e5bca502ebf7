import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The process's own /metrics listener (METRICS_PORT on METRICS_HOST), for any
 * role; a worker-only process has no other HTTP port. Its protection is the
 * address it is bound to, plus METRICS_TOKEN as a bearer token when that is set.
 * Anything but GET /metrics is a 404.
 */
export async function startMetricsServer(registry: Registry, opts: { host: string; port: number; token?: string }): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    void answer(registry, opts.token, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function answer(registry: Registry, token: string | undefined, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' || path !== '/metrics') return error(res, 404, 'not_found', 'only GET /metrics is served here');
  if (token !== undefined && !matches(req.headers.authorization, token)) {
    res.setHeader('www-authenticate', 'Bearer');
    return error(res, 401, 'unauthorized', 'send Authorization: Bearer <METRICS_TOKEN>');
  }
  try {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(body);
  } catch {
    error(res, 500, 'internal', 'collecting the metrics failed');
  }
}

function matches(authorization: string | undefined, token: string): boolean {
  const given = Buffer.from(authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

function error(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: { code, message } }));
}
