import type { Redis } from 'ioredis';
import { LuaScript } from './redis-script';
import type { EventStore } from './store/events';
import type { Finale, JobEvent, NewEvent, EventType } from './event-model';

export type { EventDataMap, EventType, Finale, JobEvent, NewEvent } from './event-model';

// Appends events unless the run has ended; with a finale, also ends it (once).
// KEYS: seq, stream, final. ARGV: ttl (0: none), finale ('' for a plain append), then (type, data, ts)*.
// Returns the new seqs, or {} when the run had already ended.
const APPEND = `
if redis.call('EXISTS', KEYS[3]) == 1 then return {} end
if ARGV[2] ~= '' then redis.call('SET', KEYS[3], ARGV[2]) end
local seqs = {}
for i = 3, #ARGV, 3 do
  local seq = redis.call('INCR', KEYS[1])
  redis.call('XADD', KEYS[2], '0-' .. seq, 't', ARGV[i], 'd', ARGV[i + 1], 'ts', ARGV[i + 2])
  seqs[#seqs + 1] = seq
end
if tonumber(ARGV[1]) > 0 then
  for k = 1, 3 do redis.call('EXPIRE', KEYS[k], ARGV[1]) end
end
return seqs`;

const appendScript = new LuaScript(APPEND);

type StreamEntry = [id: string, fields: string[]];

/** Runs whose copy position one process remembers; beyond it the oldest is forgotten (it then asks MongoDB). */
const MAX_REMEMBERED = 10_000;

export class EventLog {
  /**
   * Per run, the last seq this process copied to MongoDB, where it knows it: a
   * sync then starts there instead of asking MongoDB for the highest stored seq
   * (one query less per sync). A stale position only re-copies events, which
   * the store ignores as duplicates.
   */
  private readonly copied = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly store: EventStore,
    private readonly prefix: string,
    private readonly liveTtlS: number,
  ) {}

  keys(runId: string): [seq: string, stream: string, final: string] {
    const base = `${this.prefix}:run:{${runId}}`;
    return [`${base}:seq`, `${base}:events`, `${base}:final`];
  }

  /** Appends events in order; returns their seqs, or [] if the run has already ended. */
  async append(runId: string, events: NewEvent[]): Promise<number[]> {
    if (events.length === 0) return [];
    return this.eval(runId, events, '0', '');
  }

  /**
   * Ends the run: `status` (+ `result` or `error`) and `end` events, once. Returns
   * false when another process ended it first. Follow with `sync`, then the store.
   */
  async finish(runId: string, finale: Finale): Promise<boolean> {
    const events: NewEvent[] = [{ type: 'status', data: { status: finale.status } }];
    if (finale.result) events.push({ type: 'result', data: finale.result });
    if (finale.error) events.push({ type: 'error', data: finale.error });
    events.push({ type: 'end', data: { status: finale.status } });
    const seqs = await this.eval(runId, events, String(this.liveTtlS), JSON.stringify(finale));
    return seqs.length > 0;
  }

  private async eval(runId: string, events: NewEvent[], ttl: string, finale: string): Promise<number[]> {
    const ts = String(Date.now());
    const args = events.flatMap((e) => [e.type, JSON.stringify(e.data), ts]);
    return (await appendScript.run(this.redis, this.keys(runId), [ttl, finale, ...args])) as number[];
  }

  /** The recorded finale, if the run has ended (used to complete an interrupted finish). */
  async finale(runId: string): Promise<Finale | null> {
    const raw = await this.redis.get(this.keys(runId)[2]);
    return raw ? (JSON.parse(raw) as Finale) : null;
  }

  /**
   * MongoDB holds none of the run's events yet (its first attempt has just
   * begun here: nothing before it copies), so syncs start from seq 0.
   */
  noneCopiedYet(runId: string): void {
    this.remember(runId, 0);
  }

  /**
   * Copies every live event MongoDB does not have yet into MongoDB. Idempotent.
   * `last`: the run has ended (no event can follow), so its position is forgotten.
   */
  async sync(runId: string, opts: { last?: boolean } = {}): Promise<number> {
    let after = this.copied.get(runId) ?? (await this.store.maxSeq(runId));
    let copied = 0;
    for (;;) {
      const batch = await this.read(runId, after, 500);
      if (batch.length === 0) break;
      await this.store.insert(runId, batch);
      copied += batch.length;
      after = batch[batch.length - 1]!.seq;
    }
    if (opts.last) this.copied.delete(runId);
    else this.remember(runId, after);
    return copied;
  }

  private remember(runId: string, seq: number): void {
    this.copied.delete(runId);
    this.copied.set(runId, seq);
    if (this.copied.size > MAX_REMEMBERED) this.copied.delete(this.copied.keys().next().value!);
  }

  /** Live events with seq > after (XRANGE, non-blocking). */
  async read(runId: string, after: number, count: number): Promise<JobEvent[]> {
    const entries = (await this.redis.xrange(this.keys(runId)[1], `(0-${after}`, '+', 'COUNT', count)) as StreamEntry[];
    return entries.map(parseEntry);
  }

  /**
   * Blocks up to `blockMs` for events with seq > after. Needs a connection of its
   * own (XREAD BLOCK occupies it). Returns [] on timeout.
   */
  async tail(conn: Redis, runId: string, after: number, blockMs: number): Promise<JobEvent[]> {
    const res = (await conn.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', this.keys(runId)[1], `0-${after}`)) as
      | [key: string, entries: StreamEntry[]][]
      | null;
    return res?.[0]?.[1].map(parseEntry) ?? [];
  }

  /** Whether the live stream exists (it expires EVENTS_LIVE_TTL_S after the run ends). */
  async isLive(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys(runId)[1])) === 1;
  }
}

function parseEntry([id, fields]: StreamEntry): JobEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  return {
    seq: Number(id.slice(id.indexOf('-') + 1)),
    type: f.t as EventType,
    data: JSON.parse(f.d ?? 'null'),
    ts: Number(f.ts),
  };
}
