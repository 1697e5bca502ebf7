import { readFileSync } from 'node:fs';
import type { Client } from './client';
import { EXIT, exitForStatus } from './errors';
import { followEvents } from './events';
import { outcomeLine, Terminal, testLine } from './output';
import { runRequest, type RunOptions } from './run-request';

/** Each command returns its exit code (errors.ts); a CliError thrown carries its own. */

const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'error']);
const runPath = (id: string) => `/v1/runs/${encodeURIComponent(id)}`;

export async function run(client: Client, o: RunOptions & { follow?: boolean; detach?: boolean; json?: boolean; 'idempotency-key'?: string }): Promise<number> {
  const body = runRequest(o, () => readFileSync(0, 'utf8'));
  const headers: Record<string, string> = o['idempotency-key'] ? { 'idempotency-key': o['idempotency-key'] } : {};
  const { body: accepted } = await client.json('POST', '/v1/runs', body, headers);
  const id = String(accepted.id);
  if (o.detach) return printJson(accepted);
  if (o.follow) return follow(client, id);
  const term = new Terminal();
  if (process.stderr.isTTY) term.note(`${id} ${accepted.status}: waiting (Ctrl-C stops waiting; paddock follow ${id})`);
  const stop = onInterrupt(term, id);
  const status = await followEvents(client, `${runPath(id)}/events`, { onEvent: () => undefined });
  stop();
  const doc = await settled(client, runPath(id));
  if (o.json) printJson(doc);
  else printOutcome(term, doc);
  return exitForStatus(status);
}

/** Streams the run's events live (resuming after `lastEventId`) until it ends; exits by its state. */
export async function follow(client: Client, id: string, lastEventId?: string): Promise<number> {
  const term = new Terminal();
  const stop = onInterrupt(term, id);
  const status = await followEvents(client, `${runPath(id)}/events`, { lastEventId, onEvent: (e) => term.event(id, e) });
  stop();
  return exitForStatus(status);
}

export async function get(client: Client, id: string): Promise<number> {
  return printJson((await client.json('GET', runPath(id))).body);
}

export async function cancel(client: Client, id: string): Promise<number> {
  const res = await client.json('DELETE', runPath(id));
  new Terminal().note(res.status === 202 ? `${id}: cancel requested (the worker stops it)` : `${id} ${res.body?.status ?? 'cancelled'}`);
  return printJson(res.body);
}

export async function list(client: Client, o: { status?: string; kind?: string; limit?: string; cursor?: string; json?: boolean }): Promise<number> {
  const q = new URLSearchParams(Object.entries({ status: o.status, kind: o.kind, limit: o.limit, cursor: o.cursor }).filter((e): e is [string, string] => e[1] !== undefined));
  const { body } = await client.json('GET', `/v1/runs${q.size > 0 ? `?${q}` : ''}`);
  if (o.json) return printJson(body);
  for (const r of body.items as Record<string, any>[]) {
    process.stdout.write(`${[r.id, r.status, r.kind, r.language ?? '-', r.createdAt].map((v) => String(v).padEnd(10)).join('  ')}\n`);
  }
  if (body.nextCursor) new Terminal().note(`more: paddock list --cursor ${body.nextCursor}`);
  return EXIT.ok;
}

/** The program's output as the run document has it, and a line on stderr when it did not succeed. */
function printOutcome(term: Terminal, doc: Record<string, any>): void {
  const r = doc.result as Record<string, any> | undefined;
  if (r && typeof r.stdout === 'string') {
    process.stdout.write(r.stdout);
    if (r.stderr) process.stderr.write(r.stderr);
    for (const t of (r.tests ?? []) as Record<string, any>[]) term.note(testLine(t));
  } else if (r) {
    printJson(r);
  }
  if (doc.status !== 'succeeded') term.note(outcomeLine(doc));
}

/**
 * The job (a run, a pull) once its document shows the terminal state. `end` goes out just
 * before the document is written (core/jobs/finalize.ts), so a GET right after may lag.
 */
export async function settled(client: Client, path: string): Promise<Record<string, any>> {
  for (let i = 0; ; i++) {
    const { body } = await client.json('GET', path);
    if (TERMINAL.has(body.status) || i >= 100) return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Ctrl-C while waiting leaves the run alone, and says how to get back to it. */
function onInterrupt(term: Terminal, id: string): () => void {
  const handler = () => {
    term.note(`stopped following ${id}; it goes on (paddock follow ${id}, paddock cancel ${id})`);
    process.exit(130);
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

function printJson(value: unknown): number {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  return EXIT.ok;
}
