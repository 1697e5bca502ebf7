import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import type { Express, Request, Response } from 'express';

/**
 * The web console at /console: one HTML page, one stylesheet and one ES module
 * (dashboards/console/app.ts and the page modules it imports, plain TypeScript
 * bundled here by esbuild, once, on first request). It is a client of the public HTTP API and nothing else: the page
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
  let script: string | undefined;
  let style: string | undefined;
  const headers = (res: Response) => res.set({ 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });

  app.get(CONSOLE_PATH, (_req: Request, res: Response) => {
    page ??= readFileSync(path.join(DIR, 'index.html'), 'utf8');
    headers(res).set('cache-control', 'no-store').type('html').send(page);
  });
  app.get(`${CONSOLE_PATH}/app.js`, (_req: Request, res: Response) => {
    script ??= bundle();
    headers(res).type('text/javascript').send(script);
  });
  app.get(`${CONSOLE_PATH}/app.css`, (_req: Request, res: Response) => {
    style ??= readFileSync(path.join(DIR, 'app.css'), 'utf8');
    headers(res).type('text/css').send(style);
  });
}

/** app.ts with the page modules it imports (all in dashboards/console/), as one ES module. */
function bundle(): string {
  const out = buildSync({ entryPoints: [path.join(DIR, 'app.ts')], bundle: true, write: false, format: 'esm', target: 'es2022', platform: 'browser', logLevel: 'silent' });
  return out.outputFiles[0]!.text;
}
