import { validate } from '@readme/openapi-parser';
import { z } from 'zod';
import { openApiDocument } from '../../api/openapi';
import { routes, type Route } from '../../api/routes';
import { startTestSystem, type TestSystem } from '../helpers/system';

let t: TestSystem;
let doc: any;

beforeAll(async () => {
  t = await startTestSystem();
  const res = await fetch(`${t.url}/openapi.json`); // no token: public
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = await res.json();
});
afterAll(async () => {
  await t?.close();
});

const oasPath = (p: string) => p.replace(/[:*](\w+)/g, '{$1}');
const opOf = (r: Pick<Route, 'method' | 'path'>) => doc.paths[oasPath(r.path)]?.[r.method];
const key = (r: Route) => `${r.method.toUpperCase()} ${r.path}`;

/** Follows a local `$ref` (`#/components/…`). */
function deref(node: any): any {
  if (!node?.$ref) return node;
  return (node.$ref as string).slice(2).split('/').reduce((at: any, part) => at?.[part], doc);
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const result = await validate(structuredClone(doc));
    expect(result).toMatchObject({ valid: true });
  });

  it('has every route of the table with its method, a summary and its auth', () => {
    const missing = routes.filter((r) => !opOf(r)).map(key);
    expect(missing).toEqual([]);
    for (const r of routes) {
      const op = opOf(r);
      expect(typeof op.summary).toBe('string');
      expect(op.summary.length).toBeGreaterThan(0);
      expect([key(r), op.security]).toEqual([key(r), r.access === 'public' ? [] : [{ bearerAuth: [] }]]);
    }
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it('lists the error responses each route can give', () => {
    for (const r of routes) {
      const expected = ['400', '429', '500'];
      if (r.access !== 'public') expected.push('401', '503');
      if (r.access === 'admin') expected.push('403');
      if (r.path.includes('/:')) expected.push('404');
      if (r.body) expected.push('413', '415');
      const got = Object.keys(opOf(r).responses);
      expect([key(r), expected.filter((s) => !got.includes(s))]).toEqual([key(r), []]);
    }
    const conflicts = ['post /v1/runs', 'delete /v1/runs/:id', 'delete /v1/experiments/:id', 'delete /v1/models/pulls/:id'];
    for (const c of conflicts) {
      const [method, path] = c.split(' ') as [Route['method'], string];
      expect([c, Object.keys(opOf({ method, path }).responses)]).toEqual([c, expect.arrayContaining(['409'])]);
    }
    expect(opOf({ method: 'post', path: '/v1/runs' }).responses['503']).toBeDefined();
  });

  it('documents the error body precisely: {error: {code, message, details?}} with the code of each status', () => {
    const body = doc.components.schemas.ErrorBody;
    expect(body).toMatchObject({ type: 'object', required: ['error'], additionalProperties: false });
    expect(body.properties.error).toMatchObject({ required: ['code', 'message'], additionalProperties: false });
    expect(body.properties.error.properties.code.enum.sort()).toEqual(
      ['validation_error', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'payload_too_large', 'rate_limited', 'unavailable', 'session_ended', 'internal'].sort(),
    );
    expect(Object.keys(body.properties.error.properties).sort()).toEqual(['code', 'details', 'message']);
    const codes: Record<string, string> = { 400: 'validation_error', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'payload_too_large', 415: 'validation_error', 429: 'rate_limited', 500: 'internal', 503: 'unavailable' };
    const adminRoute = opOf({ method: 'delete', path: '/v1/models/:name' });
    for (const [status, code] of Object.entries(codes)) {
      const res = deref(adminRoute.responses[status] ?? opOf({ method: 'post', path: '/v1/runs' }).responses[status]);
      const schema = res.content['application/json'].schema;
      expect([status, schema.allOf[0]]).toEqual([status, { $ref: '#/components/schemas/ErrorBody' }]);
      expect([status, schema.allOf[1].properties.error.properties.code]).toEqual([status, { const: code }]);
    }
  });

  it('takes query parameters and request bodies from the zod schemas on the route table', () => {
    for (const r of routes) {
      const op = opOf(r);
      const query = (op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name);
      expect([key(r), query.sort()]).toEqual([key(r), Object.keys(r.query?.shape ?? {}).sort()]);
      const path = (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name);
      expect([key(r), path]).toEqual([key(r), [...r.path.matchAll(/[:*](\w+)/g)].map((m) => m[1])]);
      if ('upload' in r) {
        // Uploads take raw bytes, not JSON.
        expect([key(r), Object.keys(op.requestBody.content)]).toEqual([key(r), ['application/octet-stream']]);
        continue;
      }
      if (!r.body) {
        expect([key(r), op.requestBody]).toEqual([key(r), undefined]);
        continue;
      }
      const schema = op.requestBody.content['application/json'].schema;
      if (r.body instanceof z.ZodObject) expect([key(r), Object.keys(schema.properties).sort()]).toEqual([key(r), Object.keys(r.body.shape).sort()]);
    }
    const list = opOf({ method: 'get', path: '/v1/runs' }).parameters.find((p: any) => p.name === 'limit');
    expect(list).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } });
    const run = opOf({ method: 'post', path: '/v1/runs' }).requestBody.content['application/json'].schema;
    expect(run.properties.language).toEqual({ type: 'string', enum: ['python', 'javascript', 'bash'] });
    expect(run.additionalProperties).toBe(false);
  });

  it('describes the SSE routes as text/event-stream with Last-Event-ID, and /health, /ready, /metrics, /docs', () => {
    for (const r of routes.filter((r) => 'stream' in r)) {
      const op = opOf(r);
      expect(Object.keys(op.responses['200'].content)).toEqual(['text/event-stream']);
      expect(op.parameters.map((p: any) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['header:Last-Event-ID', 'query:lastEventId']));
    }
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(Object.keys(doc.paths['/ready'].get.responses)).toEqual(expect.arrayContaining(['200', '503']));
    expect(doc.paths['/ready'].get.responses['503'].content['application/json'].schema.properties.checks).toBeDefined();
    expect(Object.keys(doc.paths['/metrics'].get.responses['200'].content)).toEqual(['text/plain']);
    for (const p of ['/openapi.json', '/docs']) expect(doc.paths[p].get.security).toEqual([]);
    expect(doc.paths['/metrics'].get.security).toEqual([{ bearerAuth: [] }]);
  });

  it('moves definitions zod factors out (recursive schemas) into components', async () => {
    type Tree = { name: string; children?: Tree[] };
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ name: z.string(), children: z.array(tree).optional() }));
    const extra: Route = { method: 'post', path: '/v1/trees', access: 'user', handler: async () => ({ status: 200, body: {} }), body: z.object({ root: tree }) };
    const built: any = openApiDocument([...routes, extra]);
    expect(await validate(structuredClone(built))).toMatchObject({ valid: true });
    const text = JSON.stringify(built.paths['/v1/trees']);
    expect(text).not.toContain('#/$defs/');
    expect(text).toContain('#/components/schemas/postTreesBody_');
  });
});

describe('GET /docs', () => {
  it('serves Swagger UI whose scripts and styles are all served by Paddock', async () => {
    const res = await fetch(`${t.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const refs = [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui-bundle.js', '/docs/init.js']));
    for (const ref of refs) {
      const url = new URL(ref, `${t.url}/docs`);
      expect([ref, url.origin]).toEqual([ref, new URL(t.url).origin]);
      const asset = await fetch(url);
      expect([ref, asset.status]).toEqual([ref, 200]);
      const body = await asset.text();
      if (ref.endsWith('init.js')) {
        expect(body).toContain("url: '/openapi.json'");
        expect(body).not.toMatch(/https?:\/\//);
      }
    }
  });

  it('serves only the Swagger UI files the page uses, and answers others with the stable 404', async () => {
    const res = await fetch(`${t.url}/docs/assets/swagger-initializer.js`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
