/**
 * Assembles the agent's `file` frames into the run's output files. The first
 * frame of a file carries its path and size; the next ones of the same path
 * carry its bytes, in order. Bytes beyond the requested caps are refused (the
 * agent applies them; this is the worker's own check).
 */
import type { OutputFile, OutputRequest } from './types';

export class OutputFiles {
  private readonly files: OutputFile[] = [];
  private parts: Buffer[] = [];
  private bytes = 0;
  private fileBytes = 0;
  private violation: string | null = null;

  constructor(private readonly request: OutputRequest) {}

  add(path: string, size: number, data: Buffer): void {
    const last = this.files.at(-1);
    if (!last || last.path !== path || data.length === 0) {
      this.seal();
      if (this.files.length >= this.request.maxFiles) return this.refuse('more files than maxFiles');
      this.files.push({ path, size, content: Buffer.alloc(0) });
      this.fileBytes = 0;
    }
    this.bytes += data.length;
    this.fileBytes += data.length;
    if (this.bytes > this.request.maxTotalBytes || this.fileBytes > this.request.maxFileBytes) return this.refuse('more bytes than the caps');
    if (data.length > 0) this.parts.push(data);
  }

  /** The files, or an error if the agent broke the caps. */
  finish(): OutputFile[] {
    this.seal();
    if (this.violation) throw new Error(`sandbox agent sent ${this.violation}`);
    return this.files;
  }

  private seal(): void {
    const last = this.files.at(-1);
    if (last && this.parts.length > 0) last.content = Buffer.concat(this.parts);
    this.parts = [];
  }

  private refuse(why: string): void {
    this.violation ??= why;
  }
}
