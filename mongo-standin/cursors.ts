/**
 * Server-side cursors: the remaining documents of a find/aggregate/list result, handed
 * out in batches by getMore. Idle cursors expire like mongod's (10 minutes), swept
 * lazily on use so the stand-in owns no timers.
 */
import { BSON, Long, type Document } from 'bson';
import { CommandError } from './errors';

/** mongod's default first batch. */
export const DEFAULT_FIRST_BATCH = 101;
const IDLE_TIMEOUT_MS = 10 * 60_000;
/** Keeps a reply under maxBsonObjectSize with room for the envelope. */
const BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;

interface OpenCursor {
  ns: string;
  docs: Document[];
  position: number;
  lastUsed: number;
}

export interface BatchOptions {
  /** Documents in the first batch; default 101. 0 opens a cursor without returning any. */
  batchSize?: number;
  /** Close the cursor after the first batch whatever remains. */
  singleBatch?: boolean;
}

export class CursorRegistry {
  private readonly open = new Map<number, OpenCursor>();
  private nextId = 1;

  /** Builds the `cursor` reply of a command and keeps the rest for getMore. */
  first(ns: string, docs: Document[], options: BatchOptions = {}): Document {
    this.sweep();
    const limit = options.batchSize ?? DEFAULT_FIRST_BATCH;
    const batch = takeBatch(docs, 0, limit);
    let id = 0;
    if (!options.singleBatch && batch.length < docs.length) {
      id = this.nextId++;
      this.open.set(id, { ns, docs, position: batch.length, lastUsed: Date.now() });
    }
    return { cursor: { firstBatch: batch, id: Long.fromNumber(id), ns } };
  }

  /** The next batch of an open cursor; with no batchSize, everything that fits in a reply. */
  more(id: number, collectionNs: string, batchSize: number | undefined): Document {
    this.sweep();
    const cursor = this.open.get(id);
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${id} not found`);
    if (cursor.ns !== collectionNs && !cursor.ns.includes('.$cmd.')) {
      throw new CommandError('BadValue', `Requested getMore on namespace '${collectionNs}', but cursor belongs to a different namespace ${cursor.ns}`);
    }
    const batch = takeBatch(cursor.docs, cursor.position, batchSize && batchSize > 0 ? batchSize : Infinity);
    cursor.position += batch.length;
    cursor.lastUsed = Date.now();
    const exhausted = cursor.position >= cursor.docs.length;
    if (exhausted) this.open.delete(id);
    return { cursor: { nextBatch: batch, id: Long.fromNumber(exhausted ? 0 : id), ns: cursor.ns } };
  }

  /** Returns the ids that were open (and are now closed). */
  kill(ids: number[]): { killed: number[]; notFound: number[] } {
    const killed: number[] = [];
    const notFound: number[] = [];
    for (const id of ids) (this.open.delete(id) ? killed : notFound).push(id);
    return { killed, notFound };
  }

  clear(): void {
    this.open.clear();
  }

  get size(): number {
    return this.open.size;
  }

  private sweep(): void {
    const cutoff = Date.now() - IDLE_TIMEOUT_MS;
    for (const [id, cursor] of this.open) if (cursor.lastUsed < cutoff) this.open.delete(id);
  }
}

function takeBatch(docs: Document[], from: number, max: number): Document[] {
  const batch: Document[] = [];
  let bytes = 0;
  for (let i = from; i < docs.length && batch.length < max; i++) {
    const doc = docs[i]!;
    bytes += BSON.calculateObjectSize(doc);
    // Always return at least one document so a cursor cannot stall.
    if (bytes > BATCH_BYTES && batch.length > 0) break;
    batch.push(doc);
  }
  return batch;
}
