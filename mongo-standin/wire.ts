/**
 * MongoDB wire protocol framing and codec: just enough of OP_MSG, OP_QUERY/OP_REPLY and
 * OP_COMPRESSED for the official driver. Pure functions plus one stateful frame splitter;
 * no sockets here so the framing can be tested byte by byte.
 */
import { inflateSync } from 'node:zlib';
import { BSON, type Document } from 'bson';
import { DESERIALIZE_OPTIONS } from './doc';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

const HEADER_SIZE = 16;
/** Same cap the hello reply advertises (maxMessageSizeBytes); larger frames are garbage. */
export const MAX_MESSAGE_SIZE = 48_000_000;

const CHECKSUM_PRESENT = 1 << 0;
const MORE_TO_COME = 1 << 1;


/** A frame that cannot be parsed: the connection that sent it is closed. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export interface MessageHeader {
  length: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

/** A decoded request: the command document (kind-1 sequences already merged in). */
export interface CommandRequest {
  requestId: number;
  /** Which reply format the client expects back. */
  kind: 'msg' | 'query';
  command: Document;
  /** OP_QUERY only: the full collection name such as `admin.$cmd`. */
  fullCollectionName?: string;
  /** OP_MSG moreToCome: the client (w: 0) does not read a reply. */
  noReply: boolean;
}

/**
 * Splits a TCP byte stream into whole length-prefixed messages. Chunks may hold many
 * messages or a fraction of one; nothing is copied until a frame is complete.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const length = head.readInt32LE(0);
      if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE) {
        throw new ProtocolError(`invalid message length ${length}`);
      }
      if (this.buffered < length) break;
      frames.push(this.take(length));
    }
    return frames;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    // Rare: the length prefix itself straddles chunks; coalesce everything once.
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }
}

export function readHeader(frame: Buffer): MessageHeader {
  return {
    length: frame.readInt32LE(0),
    requestId: frame.readInt32LE(4),
    responseTo: frame.readInt32LE(8),
    opCode: frame.readInt32LE(12),
  };
}

/** Decodes one complete frame into a command; throws ProtocolError on anything malformed. */
export function decodeRequest(frame: Buffer): CommandRequest {
  try {
    return decodeFrame(frame);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(`malformed message: ${(err as Error).message}`);
  }
}

function decodeFrame(frame: Buffer): CommandRequest {
  const header = readHeader(frame);
  const body = frame.subarray(HEADER_SIZE, header.length);
  switch (header.opCode) {
    case OP_MSG:
      return decodeOpMsg(header, body);
    case OP_QUERY:
      return decodeOpQuery(header, body);
    case OP_COMPRESSED:
      return decodeFrame(decompress(header, body));
    default:
      throw new ProtocolError(`unsupported opCode ${header.opCode}`);
  }
}

function decodeOpMsg(header: MessageHeader, body: Buffer): CommandRequest {
  const flags = body.readUInt32LE(0);
  // The CRC32 trails the sections; skipping it is allowed (we never ask for checksums).
  const end = flags & CHECKSUM_PRESENT ? body.length - 4 : body.length;
  let offset = 4;
  let command: Document | undefined;
  const sequences: Array<[string, Document[]]> = [];
  while (offset < end) {
    const kind = body.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      const size = body.readInt32LE(offset);
      command = BSON.deserialize(body.subarray(offset, offset + size), DESERIALIZE_OPTIONS);
      offset += size;
    } else if (kind === 1) {
      const size = body.readInt32LE(offset);
      const sectionEnd = offset + size;
      if (size < 5 || sectionEnd > end) throw new ProtocolError('bad document sequence size');
      const nul = body.indexOf(0, offset + 4);
      if (nul < 0 || nul >= sectionEnd) throw new ProtocolError('bad document sequence identifier');
      const identifier = body.toString('utf8', offset + 4, nul);
      const docs: Document[] = [];
      let pos = nul + 1;
      while (pos < sectionEnd) {
        const docSize = body.readInt32LE(pos);
        if (docSize < 5 || pos + docSize > sectionEnd) throw new ProtocolError('bad document in sequence');
        docs.push(BSON.deserialize(body.subarray(pos, pos + docSize), DESERIALIZE_OPTIONS));
        pos += docSize;
      }
      sequences.push([identifier, docs]);
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!command) throw new ProtocolError('OP_MSG without a body section');
  for (const [identifier, docs] of sequences) command[identifier] = docs;
  return { requestId: header.requestId, kind: 'msg', command, noReply: (flags & MORE_TO_COME) !== 0 };
}

function decodeOpQuery(header: MessageHeader, body: Buffer): CommandRequest {
  const nul = body.indexOf(0, 4);
  if (nul < 0) throw new ProtocolError('OP_QUERY without a collection name');
  const fullCollectionName = body.toString('utf8', 4, nul);
  const queryStart = nul + 1 + 8; // numberToSkip, numberToReturn
  const size = body.readInt32LE(queryStart);
  let command = BSON.deserialize(body.subarray(queryStart, queryStart + size), DESERIALIZE_OPTIONS);
  // Old drivers wrap the command as {$query: {...}, $readPreference: ...}.
  if (command.$query && typeof command.$query === 'object') command = command.$query as Document;
  if (!fullCollectionName.endsWith('.$cmd')) {
    throw new ProtocolError(`OP_QUERY is only answered for commands, not ${fullCollectionName}`);
  }
  command.$db ??= fullCollectionName.slice(0, -'.$cmd'.length);
  return { requestId: header.requestId, kind: 'query', command, fullCollectionName, noReply: false };
}

function decompress(header: MessageHeader, body: Buffer): Buffer {
  const originalOpcode = body.readInt32LE(0);
  const uncompressedSize = body.readInt32LE(4);
  const compressorId = body.readUInt8(8);
  const payload = body.subarray(9);
  let inner: Buffer;
  if (compressorId === 0) inner = payload;
  else if (compressorId === 2) inner = inflateSync(payload);
  else throw new ProtocolError(`unsupported compressor ${compressorId}`); // never advertised
  if (inner.length !== uncompressedSize) throw new ProtocolError('compressed size mismatch');
  const rebuilt = Buffer.alloc(HEADER_SIZE + inner.length);
  rebuilt.writeInt32LE(rebuilt.length, 0);
  rebuilt.writeInt32LE(header.requestId, 4);
  rebuilt.writeInt32LE(header.responseTo, 8);
  rebuilt.writeInt32LE(originalOpcode, 12);
  inner.copy(rebuilt, HEADER_SIZE);
  return rebuilt;
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE);
  buf.writeInt32LE(length, 0);
  buf.writeInt32LE(requestId, 4);
  buf.writeInt32LE(responseTo, 8);
  buf.writeInt32LE(opCode, 12);
  return buf;
}

/** An OP_MSG with one body section. */
export function encodeOpMsg(requestId: number, responseTo: number, doc: Document, flags = 0): Buffer {
  const bson = BSON.serialize(doc);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32LE(flags, 0);
  prefix.writeUInt8(0, 4);
  const length = HEADER_SIZE + prefix.length + bson.length;
  return Buffer.concat([header(length, requestId, responseTo, OP_MSG), prefix, bson]);
}

/** An OP_REPLY carrying one document: the answer to a command sent as OP_QUERY. */
export function encodeOpReply(requestId: number, responseTo: number, doc: Document): Buffer {
  const bson = BSON.serialize(doc);
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(0, 0); // responseFlags
  fields.writeBigInt64LE(0n, 4); // cursorID
  fields.writeInt32LE(0, 12); // startingFrom
  fields.writeInt32LE(1, 16); // numberReturned
  const length = HEADER_SIZE + fields.length + bson.length;
  return Buffer.concat([header(length, requestId, responseTo, OP_REPLY), fields, bson]);
}

/** An OP_QUERY command (used by tests and tools that speak the legacy handshake). */
export function encodeOpQuery(requestId: number, fullCollectionName: string, doc: Document): Buffer {
  const bson = BSON.serialize(doc);
  const name = Buffer.from(`${fullCollectionName}\0`, 'utf8');
  const flags = Buffer.alloc(4);
  const skipReturn = Buffer.alloc(8);
  skipReturn.writeInt32LE(0, 0);
  skipReturn.writeInt32LE(-1, 4);
  const length = HEADER_SIZE + 4 + name.length + 8 + bson.length;
  return Buffer.concat([header(length, requestId, 0, OP_QUERY), flags, name, skipReturn, bson]);
}

/** Reads the reply document out of an OP_MSG or OP_REPLY frame (for tests). */
export function decodeReply(frame: Buffer): { responseTo: number; doc: Document } {
  const h = readHeader(frame);
  if (h.opCode === OP_MSG) {
    const size = frame.readInt32LE(HEADER_SIZE + 5);
    return { responseTo: h.responseTo, doc: BSON.deserialize(frame.subarray(HEADER_SIZE + 5, HEADER_SIZE + 5 + size)) };
  }
  if (h.opCode === OP_REPLY) {
    const start = HEADER_SIZE + 20;
    const size = frame.readInt32LE(start);
    return { responseTo: h.responseTo, doc: BSON.deserialize(frame.subarray(start, start + size)) };
  }
  throw new ProtocolError(`not a reply opCode ${h.opCode}`);
}
