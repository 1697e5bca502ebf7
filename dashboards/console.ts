import { readFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';
import type { Express, Request, Response } from 'express';

/**
 * The web console at /console: one HTML page, one stylesheet and one ES module
 * (dashboards/console/app.ts, plain TypeScript compiled here by esbuild, once, on
 * first request). It is a client of the public HTTP API and nothing else: the page
 * itself is public, every call it makes carries the token the user pasted. Nothing
 * is loaded from another host, and the Content-Security-Policy says so.
 */
export const CONSOLE_PATH = '/console';

const DIR = path.join(__dirname, 'console');

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function mountConsole(app: Express): void {
  // Read and compiled lazily, then kept: the files do not change while the app runs.
  let page: string | undefined;
  const scripts = new Map<string, string>();
  let style: string | undefined;
  const headers = (res: Response) => res.set({ 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });

  app.get(CONSOLE_PATH, (_req: Request, res: Response) => {
    page ??= readFileSync(path.join(DIR, 'index.html'), 'utf8');
    headers(res).set('cache-control', 'no-store').type('html').send(page);
  });
  // app.ts and the modules it imports (./files.js: dashboards/console/files.ts).
  for (const name of ['app', 'files']) {
    app.get(`${CONSOLE_PATH}/${name}.js`, (_req: Request, res: Response) => {
      const code = scripts.get(name) ?? transformSync(readFileSync(path.join(DIR, `${name}.ts`), 'utf8'), { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: `${name}.ts` }).code;
      scripts.set(name, code);
      headers(res).type('text/javascript').send(code);
    });
  }
  app.get(`${CONSOLE_PATH}/app.css`, (_req: Request, res: Response) => {
    style ??= readFileSync(path.join(DIR, 'app.css'), 'utf8');
    headers(res).type('text/css').send(style);
  });
}
