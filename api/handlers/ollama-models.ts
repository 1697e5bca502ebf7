import { z } from 'zod';
import { MODEL_CATALOG } from '../../core/models/catalog';
import { deleteModel, listInstalled, serverVersion } from '../../llm/ollama/models-api';
import { modelNameSchema } from '../../core/models/pull';
import { resolveOllamaServer } from '../../core/models/servers';
import type { Handler, RequestContext } from '../context';
import { parseOrThrow } from '../validate';

/** `?server=` is the only query parameter of these routes (on the route table). */
export const serverQuery = z.object({ server: z.string().min(1).max(100).optional() });

function server(ctx: RequestContext) {
  const q = ctx.query as z.infer<typeof serverQuery>;
  return resolveOllamaServer(ctx.deps.config, q.server);
}

/** GET /v1/models?server= → {server, items}: the models installed on the Ollama server (its /api/tags). */
export const listModels: Handler = async (ctx) => {
  const s = server(ctx);
  return { status: 200, body: { server: s.name, items: await listInstalled(s, ctx.deps.config.OLLAMA_TIMEOUT_MS) } };
};

/** GET /v1/models/version?server= → {server, version}: the Ollama server's /api/version. */
export const modelServerVersion: Handler = async (ctx) => {
  const s = server(ctx);
  return { status: 200, body: { server: s.name, version: await serverVersion(s, ctx.deps.config.OLLAMA_TIMEOUT_MS) } };
};

/** GET /v1/models/catalog → {items}: the curated list of models worth pulling (static; see core/models/catalog.ts). */
export const modelCatalog: Handler = async () => ({ status: 200, body: { items: MODEL_CATALOG } });

/**
 * DELETE /v1/models/:name?server= (admins): removes an installed model from the
 * server (its /api/delete). Names with `/` are URL-encoded. 404 when not installed.
 */
export const removeModel: Handler = async (ctx) => {
  const name = parseOrThrow(z.object({ name: modelNameSchema }), { name: ctx.params.name }, 'model name').name;
  const s = server(ctx);
  await deleteModel(s, name, ctx.deps.config.OLLAMA_TIMEOUT_MS);
  return { status: 200, body: { server: s.name, model: name, deleted: true } };
};
