import type { Client } from './client';
import { EXIT } from './errors';
import { Terminal } from './output';

const PAGE = 1000;

/**
 * `paddock logs <id>`: the run's events as the API stores them (GET
 * /v1/runs/:id/logs, every page), shown as `follow` shows them — the program's
 * stdout and stderr unchanged, the rest as `paddock:` lines on stderr — or, with
 * --json, one event per line. It does not wait for a running run: it prints what
 * there is so far (`paddock follow` waits).
 */
export async function logs(client: Client, id: string, o: { after?: string; json?: boolean }): Promise<number> {
  const term = new Terminal();
  let after = o.after ?? '0';
  for (;;) {
    const { body } = await client.json('GET', `/v1/runs/${encodeURIComponent(id)}/logs?after=${after}&limit=${PAGE}`);
    const items = body.items as { seq: number; type: string; data: unknown; ts?: number }[];
    for (const e of items) {
      if (o.json) process.stdout.write(`${JSON.stringify(e)}\n`);
      else term.event(id, { id: String(e.seq), event: e.type, data: e.data });
    }
    if (items.length < PAGE) return EXIT.ok;
    after = String(body.nextAfter);
  }
}
