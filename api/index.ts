import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
