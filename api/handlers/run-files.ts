import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack } from 'tar-stream';
import { NotFoundError, ValidationError } from '../../core/errors';
import type { RunFileInfo } from '../../core/store/run-files';
import { normaliseFilePath } from '../../sandbox/protocol';
import type { Handler, RequestContext } from '../context';
import { loadVisibleRun } from '../guards';

/** Shown in the page (the console draws them); anything else is a download. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** GET /v1/runs/:id/files: the files the run made (`outputs`), path order. */
export const listRunFiles: Handler = async (ctx) => {
  const run = await loadVisibleRun(ctx);
  return { status: 200, body: { items: await ctx.deps.store.runFiles.list(run._id) } };
};

/** GET /v1/runs/:id/files/*path: one file's bytes, with its content type. */
export async function downloadRunFile(ctx: RequestContext, res: Response): Promise<void> {
  const run = await loadVisibleRun(ctx);
  const path = filePathParam(ctx);
  const file = await ctx.deps.store.runFiles.open(run._id, path);
  if (!file) throw new NotFoundError(`run ${run._id} has no file ${path}`);
  const name = path.split('/').at(-1)!;
  res.status(200).set({
    ...untrustedHeaders(),
    'content-type': file.info.contentType,
    'content-length': String(file.info.size),
    'content-disposition': `${INLINE_TYPES.has(file.info.contentType) ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`,
  });
  await send(file.stream(), res);
}

/** GET /v1/runs/:id/artifacts.tar: every file the run made, in one tar (ustar/pax). */
export async function downloadRunArtifacts(ctx: RequestContext, res: Response): Promise<void> {
  const run = await loadVisibleRun(ctx);
  const files = await ctx.deps.store.runFiles.list(run._id);
  res.status(200).set({
    ...untrustedHeaders(),
    'content-type': 'application/x-tar',
    'content-disposition': `attachment; filename="${run._id}-artifacts.tar"`,
  });
  const tar = tarPack();
  // streamx streams (tar-stream) work with node:stream pipeline; only their types differ.
  const sending = send(tar as unknown as NodeJS.ReadableStream, res);
  try {
    for (const f of files) await addEntry(ctx, run._id, f, tar);
    tar.finalize();
  } catch (err) {
    tar.destroy(err as Error);
  }
  await sending;
}

async function addEntry(ctx: RequestContext, runId: string, f: RunFileInfo, tar: ReturnType<typeof tarPack>): Promise<void> {
  const file = await ctx.deps.store.runFiles.open(runId, f.path);
  if (!file) return; // removed meanwhile (a retried attempt replaced the files)
  const entry = tar.entry({ name: f.path, size: file.info.size, mode: 0o644, mtime: new Date(0) });
  await pipeline(file.stream(), entry);
}

/** The wildcard segment(s) after files/, checked like an upload path (no `..`, not absolute). */
export function filePathParam(ctx: RequestContext): string {
  const raw = (ctx.params as Record<string, unknown>).path;
  const joined = Array.isArray(raw) ? raw.join('/') : String(raw ?? '');
  try {
    return normaliseFilePath(joined);
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(`bad file path: ${err.message}`, { path: joined });
    throw err;
  }
}

/** Bytes a sandboxed program wrote: never sniffed, never run as a page of this origin. */
export function untrustedHeaders(): Record<string, string> {
  return { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox", 'cache-control': 'private, no-store' };
}

/** Streams to the response; after the headers went out, a failure can only cut the response. */
async function send(from: NodeJS.ReadableStream, res: Response): Promise<void> {
  try {
    await pipeline(from, res);
  } catch (err) {
    if (!res.headersSent) throw err;
    res.destroy();
  }
}
