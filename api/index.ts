import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { buildApp } from './app';
import type { ApiDeps } from './context';

export interface ApiHandle {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Starts the HTTP API. close() stops accepting, ends open event streams, and waits. */
export async function startApi(deps: ApiDeps): Promise<ApiHandle> {
  const app = buildApp(deps);
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerMalformed);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.config.PORT, deps.config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = deps.config.HOST === '0.0.0.0' ? '127.0.0.1' : deps.config.HOST;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${host}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 2000);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // In-flight requests get a moment; idle keep-alives and event streams would hold close() open.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/**
 * Requests Node's HTTP parser refuses (oversized headers, broken framing) never
 * reach express; Node's default answer has no body. They get the stable error
 * body too, and the connection is closed, as Node would.
 */
function answerMalformed(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request took too long to arrive']
        : [400, 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code: 'validation_error', message } });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
