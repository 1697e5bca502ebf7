import type { Response } from 'express';
import type { Handler, HandlerResult, RequestContext } from '../context';
import { filePathParam, untrustedHeaders } from '../handlers/run-files';
import { askHolder, loadOpenSession } from './access';

/**
 * A session's files, in its container's /workspace, moved through the worker
 * holding it (sandbox/session.ts: written and read by the agent as the
 * program's user; symlinks are never followed). Paths are checked here and
 * again in the container: relative, no `..`, at most 255 characters.
 */

/** GET /v1/sessions/:id/files: `{items: [{path, size}]}`, path order. */
export const listSessionFiles: Handler = async (ctx) => {
  const session = await loadOpenSession(ctx);
  return { status: 200, body: { items: await askHolder(ctx, session, { op: 'list' }) } };
};

/**
 * PUT /v1/sessions/:id/files/*path: the request body (any bytes) becomes that file. 201 `{path, size}`.
 * The body is read only for a valid path in an open session the caller may see.
 */
export async function putSessionFile(ctx: RequestContext, readBody: () => Promise<Buffer>): Promise<HandlerResult> {
  const path = filePathParam(ctx);
  const session = await loadOpenSession(ctx);
  const body = await readBody();
  const value = await askHolder(ctx, session, { op: 'put', path, base64: body.toString('base64') });
  return { status: 201, body: value };
}

/** GET /v1/sessions/:id/files/*path: the file's bytes, as a download. */
export async function downloadSessionFile(ctx: RequestContext, res: Response): Promise<void> {
  const path = filePathParam(ctx);
  const session = await loadOpenSession(ctx);
  const file = (await askHolder(ctx, session, { op: 'get', path, maxBytes: ctx.deps.config.SESSION_FILE_MAX_BYTES })) as { size: number; base64: string };
  const bytes = Buffer.from(file.base64, 'base64');
  const name = path.split('/').at(-1)!;
  res.status(200).set({
    ...untrustedHeaders(),
    'content-type': 'application/octet-stream',
    'content-length': String(bytes.length),
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
  });
  res.end(bytes);
}

/** DELETE /v1/sessions/:id/files/*path: 204; 404 when there is no such file. */
export const deleteSessionFile: Handler = async (ctx) => {
  const path = filePathParam(ctx);
  const session = await loadOpenSession(ctx);
  await askHolder(ctx, session, { op: 'delete', path });
  return { status: 204 };
};
