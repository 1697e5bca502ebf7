/**
 * TEST AND DEMO AID. Ollama's model management for the fake server: /api/pull
 * streams NDJSON like the real one ("pulling manifest", one "pulling <digest>"
 * line per layer with total/completed, rising completed counts, "verifying
 * sha256 digest", "writing manifest", "success"), resumes partial downloads
 * across requests like Ollama does, and on a successful pull lists the model in
 * /api/tags. /api/delete removes it (404 `{error}` when absent). Failures are
 * scripted per request: an `{error}` line mid-stream, a dropped connection, a
 * stall; every request is recorded (when its connection closed, and whether the
 * client left first) by the shared fake-server machinery.
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { sleepUnlessClosed, type FakeRequest } from './fake-server';

export interface FakePullScript {
  /** Layer sizes in bytes. Default: a weights blob and two small layers. */
  layers?: number[];
  /** Progress lines per layer (default 5). */
  steps?: number;
  /** Pause before each line, in ms (default 2). */
  delayMs?: number;
  /**
   * After `after` progress lines: `error` sends `{"error": message}` and ends the
   * response; `drop` destroys the connection; `stall` sends nothing more and keeps
   * the connection open until the client leaves.
   */
  fail?: { after: number; kind: 'error' | 'drop' | 'stall'; message?: string };
  /** Start every layer from 0, ignoring bytes earlier requests downloaded (real Ollama resumes). */
  restart?: boolean;
  /** `{"error": "pull model manifest: file does not exist"}` right after "pulling manifest". */
  notFound?: boolean;
}

export const DEFAULT_LAYERS = [8_000_000, 2_000_000, 4_096];

export class FakePulls {
  private readonly queue: FakePullScript[] = [];
  /** Bytes downloaded per model and layer digest, kept across requests (partial downloads resume). */
  readonly downloaded = new Map<string, Map<string, number>>();
  /** Models whose pull reached "success", in order. */
  readonly completed: string[] = [];

  constructor(private readonly installed: () => string[]) {}

  /** Queues behaviours for the next /api/pull requests, in order; unscripted ones succeed. */
  script(...scripts: FakePullScript[]): void {
    this.queue.push(...scripts);
  }

  reset(): void {
    this.queue.length = 0;
    this.downloaded.clear();
    this.completed.length = 0;
  }

  /** The FakeProtocol.handle hook: takes /api/pull and /api/delete. */
  handle(req: { method: string; url: URL; body: any }, res: http.ServerResponse, record: FakeRequest): boolean {
    if (record.op === 'pull') {
      void this.pull(String(req.body?.model ?? req.body?.name ?? ''), this.queue.shift() ?? {}, res);
      return true;
    }
    if (record.op === 'delete') {
      this.remove(String(req.body?.model ?? req.body?.name ?? ''), res);
      return true;
    }
    return false;
  }

  private async pull(model: string, script: FakePullScript, res: http.ServerResponse): Promise<void> {
    const delayMs = script.delayMs ?? 2;
    const steps = Math.max(1, script.steps ?? 5);
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    if (!(await sleepUnlessClosed(res, delayMs)) || !send(res, { status: 'pulling manifest' })) return;
    if (script.notFound) {
      send(res, { error: 'pull model manifest: file does not exist' });
      res.end();
      return;
    }
    const state = this.downloaded.get(model) ?? new Map<string, number>();
    this.downloaded.set(model, state);
    const layers = (script.layers ?? DEFAULT_LAYERS).map((total, i) => ({ digest: digestOf(model, i), total }));
    if (script.restart) for (const l of layers) state.set(l.digest, 0);
    // Ollama announces every layer (with what it already has) before the bytes flow.
    for (const l of layers) {
      if (!send(res, { status: `pulling ${l.digest.slice(7, 19)}`, digest: l.digest, total: l.total, completed: state.get(l.digest) ?? 0 })) return;
    }
    let lines = 0;
    for (const l of layers) {
      let done = state.get(l.digest) ?? 0;
      while (done < l.total) {
        if (script.fail && lines === script.fail.after) return inject(res, script.fail);
        if (!(await sleepUnlessClosed(res, delayMs))) return;
        done = Math.min(l.total, done + Math.ceil(l.total / steps));
        if (!send(res, { status: `pulling ${l.digest.slice(7, 19)}`, digest: l.digest, total: l.total, completed: done })) return;
        state.set(l.digest, done);
        lines += 1;
      }
    }
    if (script.fail && lines === script.fail.after) return inject(res, script.fail);
    for (const status of ['verifying sha256 digest', 'writing manifest', 'success']) {
      if (!(await sleepUnlessClosed(res, delayMs)) || !send(res, { status })) return;
    }
    this.completed.push(model);
    const models = this.installed();
    if (!models.includes(model)) models.push(model);
    this.downloaded.delete(model);
    res.end();
  }

  private remove(model: string, res: http.ServerResponse): void {
    const models = this.installed();
    const i = models.indexOf(model);
    if (i < 0) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `model '${model}' not found` }));
      return;
    }
    models.splice(i, 1);
    res.writeHead(200);
    res.end();
  }
}

/** A stable fake sha256 digest per model and layer. */
export function digestOf(model: string, layer: number): string {
  return `sha256:${createHash('sha256').update(`${model}#${layer}`).digest('hex')}`;
}

function send(res: http.ServerResponse, line: unknown): boolean {
  if (res.destroyed) return false;
  res.write(`${JSON.stringify(line)}\n`);
  return true;
}

function inject(res: http.ServerResponse, fail: NonNullable<FakePullScript['fail']>): void {
  if (fail.kind === 'drop') {
    res.socket?.destroy();
    return;
  }
  if (fail.kind === 'error') {
    send(res, { error: fail.message ?? 'max retries exceeded: unexpected EOF' });
    res.end();
  }
  // stall: nothing more; the connection stays open until the client (or close()) ends it
}

