/**
 * Output handling for a non-TTY attach: Docker multiplexes stdout and stderr
 * into frames `[stream u8][0 0 0][size u32be][payload]`. The demuxer splits
 * them (headers may straddle chunks); the collector keeps at most `capBytes`
 * raw bytes in total, decodes UTF-8 safely across chunk boundaries and
 * discards the rest without buffering it.
 */
import { StringDecoder } from 'node:string_decoder';

export type StreamName = 'stdout' | 'stderr';

const HEADER = 8;

/** Incremental demultiplexer for Docker's raw-stream framing. */
export class Demuxer {
  private header = Buffer.alloc(HEADER);
  private headerFill = 0;
  private remaining = 0;
  private stream: StreamName | null = null;

  constructor(private readonly sink: (stream: StreamName, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(HEADER - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + take);
        this.headerFill += take;
        off += take;
        if (this.headerFill < HEADER) return;
        this.headerFill = 0;
        const type = this.header[0];
        // 0 would be stdin (never echoed); anything else unknown is dropped.
        this.stream = type === 1 ? 'stdout' : type === 2 ? 'stderr' : null;
        this.remaining = this.header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - off);
      if (this.stream) this.sink(this.stream, chunk.subarray(off, off + take));
      this.remaining -= take;
      off += take;
    }
  }
}

export interface CollectedOutput {
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** Raw bytes kept (≤ cap). */
  keptBytes: number;
}

/**
 * Keeps the first `capBytes` bytes of combined output. Calls `onChunk` for each
 * kept, decoded piece, and `onLimit` once, when the first byte is discarded.
 */
export class OutputCollector {
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly parts: Record<StreamName, string[]> = { stdout: [], stderr: [] };
  private kept = 0;
  private truncated = false;

  constructor(
    private readonly capBytes: number,
    private readonly onChunk: (stream: StreamName, text: string) => void,
    private readonly onLimit: () => void,
  ) {}

  write(stream: StreamName, payload: Buffer): void {
    if (this.truncated) return; // discard: the container is being killed
    const room = this.capBytes - this.kept;
    let keep = payload;
    if (payload.length > room) {
      keep = payload.subarray(0, Math.max(0, room));
      this.truncated = true;
    }
    if (keep.length > 0) {
      this.kept += keep.length;
      this.emit(stream, this.decoders[stream].write(keep));
    }
    if (this.truncated) this.onLimit();
  }

  /** Flushes the decoders. After truncation an incomplete trailing character is dropped. */
  finish(): CollectedOutput {
    for (const stream of ['stdout', 'stderr'] as const) {
      const tail = this.decoders[stream].end();
      if (!this.truncated) this.emit(stream, tail);
    }
    return {
      stdout: this.parts.stdout.join(''),
      stderr: this.parts.stderr.join(''),
      truncated: this.truncated,
      keptBytes: this.kept,
    };
  }

  private emit(stream: StreamName, text: string): void {
    if (text.length === 0) return;
    this.parts[stream].push(text);
    this.onChunk(stream, text);
  }
}
