import path from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { openApiDocument } from './openapi';
import type { Route } from './routes';

/**
 * GET /openapi.json (the document, api/openapi.ts) and GET /docs (Swagger UI),
 * both public. Swagger UI's files come from the `swagger-ui-dist` package in
 * node_modules, so the page loads nothing from another host; its Content-Security-Policy
 * says the same to the browser.
 */

/** swagger-ui-dist's folder. Its index.js would load the whole bundle into Node; package.json is enough to find it. */
const UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** The only files of that folder the page uses (its index.html and initializer point at a demo API). */
const UI_FILES = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-bundle.js.map', 'swagger-ui.css.map', 'favicon-32x32.png']);

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // Swagger UI sets element styles from its scripts.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Paddock API</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

/**
 * No validator badge (it would send the document to validator.swagger.io); the
 * token typed into "Authorize" stays in the page's memory only.
 */
const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
});
`;

export function mountDocs(app: Express, routes: readonly Route[]): void {
  // Built on first request, then kept: the route table does not change while the app runs.
  let document: string | undefined;
  app.get('/openapi.json', (_req: Request, res: Response) => {
    document ??= JSON.stringify(openApiDocument(routes));
    res.type('application/json').send(document);
  });
  app.get('/docs', (_req: Request, res: Response) => {
    res.set('content-security-policy', CSP).type('html').send(PAGE);
  });
  app.get('/docs/init.js', (_req: Request, res: Response) => {
    res.type('text/javascript').send(INIT);
  });
  const assets = express.static(UI_DIR, { index: false, maxAge: '1d' });
  app.use('/docs/assets', (req: Request, res: Response, next: NextFunction) => (UI_FILES.has(req.path.slice(1)) ? assets(req, res, next) : next()));
}
