/**
 * Wire framing of the in-memory MongoDB stand-in, byte by byte over raw sockets: frames
 * split and merged across TCP chunks, legacy OP_QUERY handshakes, OP_MSG document
 * sequences and flags, and a bad client that must not take the server down.
 */
import net from 'node:net';
import { Binary, BSON, type Document } from 'bson';
import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { FrameReader, decodeReply, encodeOpMsg, encodeOpQuery, OP_MSG } from '../../mongo-standin/wire';

let standin: MongoStandin;
const open = new Set<net.Socket>();

beforeAll(async () => {
  standin = await startMongoStandin();
});

afterEach(() => {
  for (const socket of open) socket.destroy();
  open.clear();
});

afterAll(async () => {
  await standin.close();
});

/** A raw client: collects reply frames and exposes a promise for the N-th one. */
class RawClient {
  readonly socket: net.Socket;
  readonly replies: Array<{ responseTo: number; doc: Document }> = [];
  readonly closed: Promise<void>;
  private readonly reader = new FrameReader();
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    open.add(socket);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.reader.push(chunk)) this.replies.push(decodeReply(frame));
      this.waiters = this.waiters.filter((w) => (this.replies.length >= w.count ? (w.resolve(), false) : true));
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Resolves once `count` replies in total have arrived. */
  until(count: number): Promise<void> {
    if (this.replies.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }
}

/** OP_MSG with flags, kind-1 document sequences and an optional (unchecked) checksum. */
function opMsg(requestId: number, body: Document, opts: { sequences?: Record<string, Document[]>; flags?: number } = {}): Buffer {
  const parts: Uint8Array[] = [Buffer.from([0]), BSON.serialize(body)];
  for (const [id, docs] of Object.entries(opts.sequences ?? {})) {
    const payload = Buffer.concat([Buffer.from(`${id}\0`), ...docs.map((d) => BSON.serialize(d))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + payload.length);
    parts.push(Buffer.from([1]), size, payload);
  }
  const flags = opts.flags ?? 0;
  if (flags & 1) parts.push(Buffer.from([0xde, 0xad, 0xbe, 0xef])); // checksum: skipped by the server
  const sections = Buffer.concat(parts);
  const head = Buffer.alloc(20);
  head.writeInt32LE(20 + sections.length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(0, 8);
  head.writeInt32LE(OP_MSG, 12);
  head.writeUInt32LE(flags, 16);
  return Buffer.concat([head, sections]);
}

describe('FrameReader', () => {
  test('splits merged frames and joins split ones', () => {
    const a = encodeOpMsg(1, 0, { ping: 1, $db: 'admin' });
    const b = encodeOpMsg(2, 0, { hello: 1, $db: 'admin' });
    const merged = new FrameReader().push(Buffer.concat([a, b]));
    expect(merged.map((f) => f.readInt32LE(4))).toEqual([1, 2]);

    const reader = new FrameReader();
    const bytes = Buffer.concat([a, b]);
    const frames: Buffer[] = [];
    for (const byte of bytes) frames.push(...reader.push(Buffer.from([byte])));
    expect(frames.map((f) => Buffer.from(f))).toEqual([a, b]);
  });

  test('rejects impossible lengths', () => {
    const bad = Buffer.alloc(16);
    bad.writeInt32LE(3, 0);
    expect(() => new FrameReader().push(bad)).toThrow(/invalid message length/);
  });
});

describe('stand-in over raw sockets', () => {
  test('two OP_MSG pings in one write get two replies in order', async () => {
    const c = await RawClient.connect(standin.port);
    await c.write(Buffer.concat([encodeOpMsg(11, 0, { ping: 1, $db: 'admin' }), encodeOpMsg(12, 0, { ping: 1, $db: 'admin' })]));
    await c.until(2);
    expect(c.replies).toEqual([
      { responseTo: 11, doc: { ok: 1 } },
      { responseTo: 12, doc: { ok: 1 } },
    ]);
  });

  test('a ping written one byte at a time is answered once', async () => {
    const c = await RawClient.connect(standin.port);
    for (const byte of encodeOpMsg(21, 0, { ping: 1, $db: 'admin' })) await c.write(Buffer.from([byte]));
    await c.until(1);
    expect(c.replies).toEqual([{ responseTo: 21, doc: { ok: 1 } }]);
  });

  test('legacy OP_QUERY isMaster gets an OP_REPLY handshake', async () => {
    const c = await RawClient.connect(standin.port);
    await c.write(encodeOpQuery(31, 'admin.$cmd', { isMaster: 1, helloOk: true }));
    await c.until(1);
    const [reply] = c.replies;
    expect(reply!.responseTo).toBe(31);
    expect(reply!.doc).toMatchObject({ ok: 1, ismaster: true, helloOk: true, minWireVersion: 0 });
    expect(reply!.doc.maxWireVersion).toBeGreaterThanOrEqual(8);
  });

  test('kind-1 document sequences, checksums and moreToCome', async () => {
    const c = await RawClient.connect(standin.port);
    const db = 'framing_seq';
    await c.write(opMsg(41, { insert: 'c', $db: db }, { sequences: { documents: [{ _id: 1 }, { _id: 2 }] } }));
    await c.until(1);
    expect(c.replies[0]).toEqual({ responseTo: 41, doc: { n: 2, ok: 1 } });

    // checksumPresent: the trailing CRC32 is skipped.
    await c.write(opMsg(42, { find: 'c', filter: {}, $db: db }, { flags: 1 }));
    await c.until(2);
    expect(c.replies[1]!.responseTo).toBe(42);
    expect(c.replies[1]!.doc.cursor.firstBatch).toEqual([{ _id: 1 }, { _id: 2 }]);

    // moreToCome (w: 0): no reply, so the next reply answers the following ping.
    await c.write(Buffer.concat([opMsg(43, { insert: 'c', documents: [{ _id: 3 }], $db: db }, { flags: 2 }), encodeOpMsg(44, 0, { count: 'c', $db: db })]));
    await c.until(3);
    expect(c.replies[2]).toEqual({ responseTo: 44, doc: { n: 3, ok: 1 } });
    await c.write(encodeOpMsg(45, 0, { dropDatabase: 1, $db: db }));
    await c.until(4);
  });

  test('garbage closes only the connection that sent it', async () => {
    const good = await RawClient.connect(standin.port);
    const badLength = await RawClient.connect(standin.port);
    const badOpcode = await RawClient.connect(standin.port);
    const badBson = await RawClient.connect(standin.port);

    await badLength.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const unknownOp = encodeOpMsg(1, 0, { ping: 1 });
    unknownOp.writeInt32LE(9999, 12);
    await badOpcode.write(unknownOp);
    const brokenDoc = encodeOpMsg(2, 0, { ping: 1 });
    brokenDoc.writeInt32LE(1_000, 21); // BSON length that runs past the frame
    await badBson.write(brokenDoc);
    await Promise.all([badLength.closed, badOpcode.closed, badBson.closed]);

    await good.write(encodeOpMsg(51, 0, { ping: 1, $db: 'admin' }));
    await good.until(1);
    expect(good.replies).toEqual([{ responseTo: 51, doc: { ok: 1 } }]);
    const fresh = await RawClient.connect(standin.port);
    await fresh.write(encodeOpMsg(52, 0, { ping: 1, $db: 'admin' }));
    await fresh.until(1);
    expect(fresh.replies[0]!.doc).toEqual({ ok: 1 });
  });

  test('an unknown command is an error reply, not a dropped connection', async () => {
    const c = await RawClient.connect(standin.port);
    await c.write(encodeOpMsg(61, 0, { frobnicate: 1, $db: 'admin' }));
    await c.write(encodeOpMsg(62, 0, { ping: 1, $db: 'admin' }));
    await c.until(2);
    expect(c.replies[0]!.doc).toEqual({ ok: 0, errmsg: "no such command: 'frobnicate'", code: 59, codeName: 'CommandNotFound' });
    expect(c.replies[1]!.doc).toEqual({ ok: 1 });
  });

  test('writes inside a transaction are refused, not run without rollback', async () => {
    const c = await RawClient.connect(standin.port);
    const lsid = { id: new Binary(Buffer.alloc(16), 4) };
    await c.write(opMsg(71, { insert: 'c', documents: [{ _id: 1 }], lsid, txnNumber: 1, autocommit: false, startTransaction: true, $db: 'framing_txn' }));
    await c.write(encodeOpMsg(72, 0, { count: 'c', $db: 'framing_txn' }));
    await c.until(2);
    expect(c.replies[0]!.doc).toMatchObject({ ok: 0, code: 20, codeName: 'IllegalOperation' });
    expect(c.replies[1]!.doc).toEqual({ n: 0, ok: 1 });
  });

  test('close() is idempotent and drops open connections', async () => {
    const own = await startMongoStandin({ port: 0 });
    expect(own.url).toBe(`mongodb://127.0.0.1:${own.port}/?directConnection=true`);
    const c = await RawClient.connect(own.port);
    await Promise.all([own.close(), own.close()]);
    await c.closed;
    await own.close();
    await expect(RawClient.connect(own.port)).rejects.toThrow();
  });
});
