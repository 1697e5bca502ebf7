import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from './client';
import { EXIT, exitForStatus, usageError } from './errors';
import { followEvents } from './events';
import { drawsBars, progressBar } from './progress';
import { languageOf, limitsOf, type RunOptions } from './run-request';

/** POST /v1/runs/batch takes at most this many runs a request. */
const MAX_BATCH = 1000;

export interface BatchOptions extends Pick<RunOptions, 'timeout-ms' | 'memory-mb'> {
  priority?: string;
  concurrency?: string;
  json?: boolean;
}

interface Entry {
  file: string;
  id?: string;
  /** The run's terminal state, or `rejected` when the server refused it. */
  status?: string;
  error?: string;
}

/**
 * `paddock batch <dir>`: every program file in the folder (language from the
 * extension; other files are skipped) submitted through POST /v1/runs/batch,
 * then followed to its end with a progress bar. Prints one line per file and a
 * summary; the exit code is the worst outcome (errors.ts `batchExit`).
 */
export async function batch(client: Client, dir: string, o: BatchOptions): Promise<number> {
  const files = programFiles(dir);
  const concurrency = o.concurrency === undefined ? 8 : Number(o.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw usageError('--concurrency must be a whole number from 1 to 64');
  const limits = limitsOf(o);
  const entries: Entry[] = files.map((f) => ({ file: f }));
  const bodies = files.map((f) => ({
    language: languageOf(f),
    code: readFileSync(path.join(dir, f), 'utf8'),
    ...(o.priority !== undefined ? { priority: o.priority } : {}),
    ...(limits ? { limits } : {}),
    metadata: { file: f },
  }));
  for (let start = 0; start < bodies.length; start += MAX_BATCH) {
    const { body } = await client.json('POST', '/v1/runs/batch', { runs: bodies.slice(start, start + MAX_BATCH) });
    for (const item of body.items as { index: number; id?: string; error?: { code: string; message: string } }[]) {
      const entry = entries[start + item.index]!;
      if (item.id) entry.id = item.id;
      else Object.assign(entry, { status: 'rejected', error: `${item.error?.code}: ${item.error?.message}` });
    }
  }
  await waitForAll(client, entries, concurrency);
  report(entries, o.json === true);
  return batchExit(entries.map((e) => e.status ?? 'error'));
}

/** The folder's program files, sorted by name; a folder with none is a usage error. */
function programFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
  } catch (err) {
    throw usageError(`cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const programs = names.filter((n) => languageOf(n) !== undefined).sort();
  if (programs.length === 0) throw usageError(`no program files in ${dir} (.py, .js, .mjs, .cjs, .sh)`);
  return programs;
}

/** Follows the accepted runs, `concurrency` event streams at a time, and moves the bar as each ends. */
async function waitForAll(client: Client, entries: Entry[], concurrency: number): Promise<void> {
  const pending = entries.filter((e) => e.id);
  const counts = { ok: 0, bad: 0 };
  const bar = progressBar('{bar} {value}/{total} runs | {ok} succeeded, {bad} did not');
  if (drawsBars()) bar.start(entries.length, entries.length - pending.length, { ok: 0, bad: entries.length - pending.length });
  // Ctrl-C stops waiting, not the runs.
  const onInterrupt = () => {
    bar.stop();
    process.stderr.write(`paddock: stopped waiting; the runs go on (paddock list)\n`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const entry = pending[next++]!;
      entry.status = await followEvents(client, `/v1/runs/${encodeURIComponent(entry.id!)}/events`, { onEvent: () => undefined });
      if (entry.status === 'succeeded') counts.ok++;
      else counts.bad++;
      bar.increment(1, counts);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));
  } finally {
    process.off('SIGINT', onInterrupt);
    bar.stop();
  }
}

function report(entries: Entry[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
  } else {
    const width = Math.max(...entries.map((e) => e.file.length));
    for (const e of entries) process.stdout.write(`${e.file.padEnd(width)}  ${(e.status ?? '').padEnd(10)}  ${e.id ?? e.error ?? ''}\n`);
  }
  const byStatus = new Map<string, number>();
  for (const e of entries) byStatus.set(e.status ?? 'unknown', (byStatus.get(e.status ?? 'unknown') ?? 0) + 1);
  process.stderr.write(`paddock: ${entries.length} runs: ${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ')}\n`);
}

/**
 * A batch's exit code is its worst outcome: 0 when every run succeeded, else 1
 * (some failed or timed out), 3 (some ended in error or were cancelled), 4 (the
 * server refused some), the highest that applies.
 */
export function batchExit(statuses: string[]): number {
  return Math.max(EXIT.ok, ...statuses.map((s) => (s === 'rejected' ? EXIT.http : exitForStatus(s))));
}
